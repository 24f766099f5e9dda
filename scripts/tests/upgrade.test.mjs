// A forkless runtime upgrade through governance, on the dev node of scripts/test.sh: a root-track
// referendum enacts `system.setCode` with the runtime that build.rs makes beside the node's own
// (the same code, `spec_version` + 1: MOSAIC_UPGRADE_WASM), the chain runs it from the next
// block (the executive's upgrade hook and the pallets' migrations run), and jobs are answered
// and settled before and after it (the provider's off-chain worker runs the new runtime). Named to run last: the tests after it would run on the new runtime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { u8aToHex } from '@polkadot/util';
import { connect, devAccount, sendAndInclude, until as untilBlock } from '../lib/chain.mjs';
import { followJob, submitJob } from '../lib/jobs.mjs';
import * as gov from '../lib/governance.mjs';
import { MOS } from '../lib/units.mjs';

const WASM = process.env.MOSAIC_UPGRADE_WASM;
const VOTERS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map(devAccount);
const [alice, bob] = VOTERS;

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

const until = (what, check) => untilBlock(api, what, check, 300_000);

async function paidJob(prompt) {
  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  const submitted = await submitJob(api, bob, { model: 0, prompt, maxTokens: 8, bid: ask });
  const { end } = await followJob(api, submitted.job, submitted.blockNumber);
  return { submitted, end };
}

test('a root referendum upgrades the runtime without a fork, and jobs keep working', async () => {
  assert.ok(WASM && existsSync(WASM), `the upgrade runtime was built (${WASM}); scripts/lib/env.sh sets MOSAIC_UPGRADE_RUNTIME=1`);
  const code = readFileSync(WASM);
  const before = (await api.rpc.state.getRuntimeVersion()).toJSON();
  const { end: beforeEnd } = await paidJob('Before the upgrade');
  assert.equal(beforeEnd.name, 'JobSettled', 'a job settles on the old runtime');

  const { index } = await gov.propose(api, alice, 'root', api.tx.system.setCode(u8aToHex(code)));
  await Promise.all(VOTERS.map((v) => gov.vote(api, v, index, true, 900_000n * MOS, 0)));
  const upgradedAt = await until('the new runtime', async (h) => {
    const v = await api.rpc.state.getRuntimeVersion(h.hash);
    return v.specVersion.toNumber() > before.specVersion ? h.number.toNumber() : null;
  });
  // A client reconnects after an upgrade (polkadot.js swaps its type registry underneath
  // open subscriptions otherwise).
  await api.disconnect();
  api = await connect();

  const now = (await api.rpc.state.getRuntimeVersion()).toJSON();
  // The same runtime APIs (listed in another order by the node's and the WASM's version).
  const normal = (v) => ({ ...v, apis: [...v.apis].sort((a, b) => (a[0] < b[0] ? -1 : 1)) });
  assert.deepEqual(normal({ ...now, specVersion: now.specVersion - 1 }), normal(before), 'only spec_version differs');
  // The block after `setCode` runs the new code: its executive sees the new version and runs
  // the upgrade hooks (the pallets' migrations), recording it in LastRuntimeUpgrade.
  await until('the upgrade hooks to run', async () =>
    (await api.query.system.lastRuntimeUpgrade()).unwrap().specVersion.toNumber() === before.specVersion + 1, 60_000);

  const { submitted, end } = await paidJob('After the upgrade');
  assert.ok(submitted.blockNumber > upgradedAt);
  assert.equal(end.name, 'JobSettled', 'a job submitted on the new runtime settles');

  // Votes back, as the governance test does.
  await Promise.all(VOTERS.map((v) => sendAndInclude(api, api.tx.utility.batchAll([
    api.tx.convictionVoting.removeVote(0, index), api.tx.convictionVoting.unlock(0, v.address),
  ]), v)));
});
