// The client CLI (scripts/mosaic.mjs) and the `mosaic_*` RPC methods, against the dev node of
// scripts/test.sh (MOSAIC_WS): every command, their --json output, and their errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { blake2AsHex } from '@polkadot/util-crypto';
import { readFileSync } from 'node:fs';
import { connect, devAccount, sendAndFinalize, DEFAULT_WS } from '../lib/chain.mjs';
import { runProgram } from '../lib/process.mjs';
import { RPC_ERRORS } from '../lib/rpc.mjs';

const CLI = fileURLToPath(new URL('../mosaic.mjs', import.meta.url));
const alice = devAccount('//Alice');
const bob = devAccount('//Bob');

/** Runs the CLI; returns { status, stdout, stderr, json }. */
async function cli(args, { suri = '//Bob' } = {}) {
  const env = { ...process.env, MOSAIC_WS: DEFAULT_WS };
  if (suri) env.MOSAIC_SURI = suri; else delete env.MOSAIC_SURI;
  const r = await runProgram(process.execPath, [CLI, ...args], { env, timeout: 240_000 });
  let json;
  try { json = JSON.parse(r.stdout); } catch { /* text output */ }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

let api;
let ask;
before(async () => {
  api = await connect();
  ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
});
after(async () => { await api?.disconnect(); });

test('models lists the tiny model from genesis', async () => {
  const { status, json } = await cli(['models', '--json']);
  assert.equal(status, 0);
  const tiny = json.find((m) => m.id === 0);
  assert.equal(Buffer.from(tiny.name.slice(2), 'hex').toString(), 'mosaic-tiny-llama-q8_0');
  if (process.env.MOSAIC_TINY_MODEL) {
    assert.equal(tiny.contentHash, blake2AsHex(readFileSync(process.env.MOSAIC_TINY_MODEL), 256));
  }
  assert.equal(tiny.fileType, 'Q8_0');
  assert.equal(tiny.architecture, 'llama');
  assert.ok(tiny.chatTemplate, 'the tiny model has a chat template');
  assert.ok(tiny.providers >= 1);
  const text = await cli(['models']);
  assert.match(text.stdout, /mosaic-tiny-llama-q8_0/);
});

test('providers shows Alice with her ask, bond and reputation', async () => {
  const { status, json } = await cli(['providers', '0', '--json']);
  assert.equal(status, 0);
  const p = json.find((x) => x.provider === alice.address);
  assert.equal(BigInt(p.ask), ask);
  assert.equal(p.eligible, true);
  assert.ok(p.score > 0 && p.score <= 1000);
});

test('estimate gives the escrow and a split that adds up', async () => {
  const { status, json } = await cli(['estimate', '0', '10', '--json']);
  assert.equal(status, 0);
  assert.equal(BigInt(json.bid), ask, 'the lowest bid that finds a provider is its ask');
  assert.equal(BigInt(json.escrow), 10n * ask);
  assert.equal(BigInt(json.maxCost), 10n * ask);
  assert.equal(BigInt(json.royalty) + BigInt(json.protocolFee) + BigInt(json.providers), BigInt(json.maxCost));
  assert.equal(BigInt(json.royalty), (10n * ask * 1000n) / 10_000n, '10 % royalty');
  const higher = (await cli(['estimate', '0', '10', '--bid', `${3n * ask}`, '--json'])).json;
  assert.equal(BigInt(higher.escrow), 30n * ask);
});

test('submit pays for a job and shows its receipt and output; job shows it afterwards', async () => {
  const run = await cli(['submit', '0', 'Once upon a time', '--max-tokens', '8']);
  assert.equal(run.status, 0, run.stderr);
  for (const stage of ['submitted', 'assigned', 'answered', 'settled', 'receipt:', 'output:']) {
    assert.match(run.stdout, new RegExp(`^${stage}`, 'm'), `shows ${stage}`);
  }
  const id = /job (\d+) in/.exec(run.stdout)[1];
  const { status, json } = await cli(['job', id, '--json']);
  assert.equal(status, 0);
  assert.equal(json.state, 'settled');
  assert.equal(json.owner, bob.address);
  assert.equal(json.assignments[0].provider, alice.address);
  assert.ok(json.assignments[0].state.answered.tokens > 0);
  assert.equal(BigInt(json.receipt.paid), BigInt(json.assignments[0].state.answered.tokens) * ask);
  assert.equal(BigInt(json.escrow), 0n, 'nothing stays held');
});

test('there is no cancel: a submitted job cannot be taken back for a free answer', async () => {
  const run = await cli(['cancel', '0']);
  assert.equal(run.status, 2, 'an unknown command is a usage error');
  assert.equal(api.tx.jobs.cancelJob, undefined, 'the chain has no such call');
});

test('the chain refuses a job that cannot fit the model context', async () => {
  await assert.rejects(sendAndFinalize(api, api.tx.jobs.submitJob(0, 'Once upon a time', 250, ask), bob),
    /jobs\.ExceedsContext/);
});

test('balance shows free, held and frozen funds', async () => {
  const mine = await cli(['balance', '--json']);
  assert.equal(mine.status, 0);
  assert.equal(mine.json.address, bob.address);
  assert.ok(BigInt(mine.json.free) > 0n);
  const alices = await cli(['balance', alice.address, '--json'], { suri: null });
  assert.equal(alices.status, 0);
  assert.ok(alices.json.holds.some((h) => /ProviderBond/.test(h.reason)), 'the bond is held');
});

test('bad input gets a clear error and a non-zero exit', async () => {
  const cases = [
    [['providers', '999'], 1, /no model has this id/],
    [['estimate', '0', '0'], 1, /max_tokens must be at least 1/],
    [['estimate', '0', '5000'], 1, /max_tokens must be at most 4096/],
    [['estimate', '0', '10', '--bid', 'lots'], 2, /not an amount/],
    [['job', '99999999'], 1, /no job has id 99999999/],
    [['estimate', '0', '300'], 1, /context is 256 tokens/],
    [['frobnicate'], 2, /unknown command/],
    [['submit', '0', 'hi', '--bid', '0'], 1, /the bid must be above zero/],
    // Refused by the chain: the dispatch error is decoded from metadata.
    [['submit', '0', 'x'.repeat(5000)], 1, /jobs\.PromptTooLong/],
    [['submit', '0', 'hi', '--suri', '//Alice'], 2, /never from a flag/],
  ];
  for (const [args, code, message] of cases) {
    const r = await cli(args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  const unsigned = await cli(['submit', '0', 'hi'], { suri: null });
  assert.equal(unsigned.status, 2);
  assert.match(unsigned.stderr, /set MOSAIC_SURI/);
});

test("mosaic_providers pages through a model's providers in slot order", async () => {
  const at = await api.rpc.chain.getBlockHash();
  const all = (await api.rpc.mosaic.providers(0, null, null, at)).toJSON();
  assert.ok(all.total >= 1 && all.providers.length === Math.min(all.total, 100));
  assert.ok(all.providers.some((p) => p.provider === alice.address), 'Alice serves model 0');
  // One at a time: the same providers, in the same order, and `next` after each but the last.
  const paged = [];
  for (let from = 0; from !== null;) {
    const page = (await api.rpc.mosaic.providers(0, from, 1, at)).toJSON();
    assert.equal(page.providers.length, 1);
    assert.equal(page.total, all.total);
    paged.push(page.providers[0].provider);
    from = page.next;
  }
  assert.deepEqual(paged, all.providers.map((p) => p.provider));
  // Past the end: an empty last page; a zero limit is read as one.
  const past = (await api.rpc.mosaic.providers(0, all.total, 10, at)).toJSON();
  assert.deepEqual([past.providers.length, past.next], [0, null]);
  assert.equal((await api.rpc.mosaic.providers(0, 0, 0, at)).toJSON().providers.length, 1);
});

test('the mosaic_* RPC methods answer with typed errors', async () => {
  const engine = (await api.rpc.mosaic.engine()).toJSON();
  const declared = (await api.query.providers.providers(alice.address)).unwrap().profile.engine.toHex();
  assert.equal(engine.engine, declared, 'mosaic_engine reports the fingerprint Alice declared');
  assert.match(engine.fingerprint, /flash_attn=off/);

  const rejects = async (promise, code) => {
    await assert.rejects(promise, (e) => e.message.startsWith(`${code}:`), `error ${code}`);
  };
  await rejects(api.rpc.mosaic.providers(4242), RPC_ERRORS.UNKNOWN_MODEL);
  await rejects(api.rpc.mosaic.estimate(0, 0), RPC_ERRORS.ZERO_MAX_TOKENS);
  await rejects(api.rpc.mosaic.estimate(0, 5000), RPC_ERRORS.MAX_TOKENS_TOO_LARGE);
  await rejects(api.rpc.mosaic.estimate(0, 10, '1'), RPC_ERRORS.BID_BELOW_EVERY_ASK);
  await rejects(api.rpc.mosaic.estimate(0, 200, '340282366920938463463374607431768211455'), RPC_ERRORS.OVERFLOW);
  await rejects(api.rpc.mosaic.estimate(0, 300), RPC_ERRORS.EXCEEDS_CONTEXT);
  await rejects(api.rpc.mosaic.job(987654321), RPC_ERRORS.JOB_NOT_FOUND);

  // Malformed parameters are JSON-RPC errors, not crashes.
  const raw = await fetch(DEFAULT_WS.replace(/^ws/, 'http'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'mosaic_estimate', params: ['zero', -1] }),
  }).then((r) => r.json());
  assert.equal(raw.error.code, -32602);
  const bid = await fetch(DEFAULT_WS.replace(/^ws/, 'http'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'mosaic_estimate', params: [0, 10, '1.5'] }),
  }).then((r) => r.json());
  assert.equal(bid.error.code, RPC_ERRORS.BAD_BID);
});

test('every client has --help and says within seconds that it cannot reach a node', async () => {
  const scripts = ['mosaic.mjs', 'onboard-provider.mjs', 'demo.mjs', 'gateway.mjs'].map((f) => fileURLToPath(new URL(`../${f}`, import.meta.url)));
  for (const script of scripts) {
    const help = await runProgram(process.execPath, [script, '--help'], { timeout: 30_000 });
    assert.equal(help.status, 0, `${script} --help: ${help.stderr}`);
    assert.match(help.stdout, /usage:/, script);
  }
  const nowhere = 'ws://127.0.0.1:9';
  const env = { ...process.env, MOSAIC_WS: nowhere, MOSAIC_SURI: '//Bob', MOSAIC_OPERATOR_SURI: '//Bob//op', MOSAIC_GATEWAY_KEY: 'k' };
  const runs = [
    [scripts[0], 'models', '--url', nowhere],
    [scripts[1], process.env.MOSAIC_TINY_MODEL, '--url', nowhere],
    [scripts[2]],
    [scripts[3], '--url', nowhere, '--port', '18099'],
  ];
  for (const args of runs) {
    const started = Date.now();
    const r = await runProgram(process.execPath, args, { env, timeout: 30_000 });
    assert.notEqual(r.status, 0, `${args.join(' ')} exits non-zero`);
    assert.match(r.stderr, /cannot reach a Mosaic node at ws:\/\/127\.0\.0\.1:9/, `${args[0]}: ${r.stderr}`);
    // Node's start and the imports count too: 20 s leaves room for a loaded machine, far
    // below the 30 s after which runProgram would have killed a client that kept retrying.
    assert.ok(Date.now() - started < 20_000, `${args[0]} gave up within seconds`);
  }
});
