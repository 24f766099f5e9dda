// A provider node killed while it works on a job, and restarted on the same database, does not
// run or answer that job again (its claim lives in persistent off-chain storage). Starts its
// own dev node (MOSAIC_NODE, models in MOSAIC_MODELS) on separate ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, devAccount, waitForRpc } from '../lib/chain.mjs';
import { followJob, submitJob } from '../lib/jobs.mjs';

const NODE_BINARY = process.env.MOSAIC_NODE;
const MODELS = process.env.MOSAIC_MODELS;
const RPC_PORT = 19946;

/** Starts the node; `log()` returns everything it has printed so far. */
function startNode(basePath) {
  const child = spawn(NODE_BINARY, [
    '--dev', '--base-path', basePath, '--rpc-port', String(RPC_PORT), '--port', '30536',
    '--no-prometheus', '--no-telemetry', '--no-mdns', '--models-dir', MODELS,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  child.stderr.on('data', (d) => { text += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, exited, log: () => text };
}

const waitFor = async (predicate, timeoutMs, what) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const runs = (log, job) => log.split('\n').filter((l) => l.includes(`job ${job}: running`)).length;

test('a provider node restarted mid-job does not answer that job twice', async () => {
  assert.ok(NODE_BINARY && MODELS, 'MOSAIC_NODE and MOSAIC_MODELS are set');
  const base = mkdtempSync(join(tmpdir(), 'mosaic-restart-'));
  const bob = devAccount('//Bob');
  const url = `ws://127.0.0.1:${RPC_PORT}`;
  let first = startNode(base);
  let second;
  try {
    await waitForRpc(url);
    let api = await connect(url);
    const job = (await api.query.jobs.nextJobId()).toBigInt();
    const ask = (await api.query.providers.providers(devAccount('//Alice').address)).unwrap().ask.toBigInt();
    // Send without waiting: the node claims the job as soon as it imports its block.
    await api.tx.jobs.submitJob(0, 'Once upon a time', 200, ask).signAndSend(bob);
    await waitFor(() => runs(first.log(), job) > 0, 60_000, `job ${job} to start`);
    first.child.kill('SIGKILL');
    await first.exited;
    await api.disconnect().catch(() => {});

    second = startNode(base);
    await waitForRpc(url);
    api = await connect(url);
    try {
      // Let the restarted node import blocks until the job no longer waits for Alice: it
      // sends again a result the kill lost, or declines the job it was running.
      const aliceState = async () => (await api.query.jobs.jobs(job)).unwrap().assignments
        .find((a) => a.provider.toString() === devAccount('//Alice').address).state;
      const until = Date.now() + 90_000;
      while ((await aliceState()).isWaiting && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
      }
      const record = (await api.query.jobs.jobs(job)).unwrap();
      const alice = record.assignments.find((a) => a.provider.toString() === devAccount('//Alice').address);
      const answered = alice.state.isAnswered;
      assert.equal(runs(first.log(), job) + runs(second.log(), job), 1, 'the job ran exactly once');
      // Either the result made it into a block before the kill (or was sent again after the
      // restart), or the restarted node declined the job it was running (never run twice):
      // it is not left to time out.
      assert.ok(answered || alice.state.isDeclined, `state ${alice.state.type}`);
      console.log(answered
        ? `job ${job}: its result reached a block`
        : `job ${job}: interrupted by the kill; the restarted node declined it`);

      // The restarted node still answers new jobs.
      const next = await submitJob(api, bob, { model: 0, prompt: 'Hello', maxTokens: 4, bid: ask });
      const { end } = await followJob(api, next.job, next.blockNumber, { timeoutMs: 120_000 });
      assert.equal(end.name, 'JobSettled');
      assert.equal(runs(second.log(), job), 0, 'the killed job was not run again');
    } finally {
      await api.disconnect().catch(() => {});
    }
  } catch (e) {
    console.log(`first node's log ends:\n${first.log().slice(-3000)}`);
    if (second) console.log(`restarted node's log ends:\n${second.log().slice(-6000)}`);
    throw e;
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
    await Promise.all([first.exited, second?.exited]);
    rmSync(base, { recursive: true, force: true });
  }
});
