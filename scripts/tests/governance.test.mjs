// Governance end to end on the dev node of scripts/test.sh (MOSAIC_WS), whose genesis runs
// referenda at fast pace (periods of blocks): a parameter referendum changes the protocol fee
// and the next job's receipt splits at the new rate; a treasurer referendum spends and is paid
// out; a rejected referendum changes nothing. Votes use conviction 0 (no lock after the vote
// is removed), so the test leaves the dev accounts as it found them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { connect, devAccount, sendAndInclude, DEFAULT_WS, until as untilBlock } from '../lib/chain.mjs';
import { runProgram } from '../lib/process.mjs';
import { followJob, submitJob } from '../lib/jobs.mjs';
import { expectedSplit, treasuryAddress } from '../lib/testing.mjs';
import * as gov from '../lib/governance.mjs';
import { MOS } from '../lib/units.mjs';

const CLI = fileURLToPath(new URL('../mosaic.mjs', import.meta.url));
const VOTERS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map(devAccount);
const [alice, bob] = VOTERS;

async function cli(args, suri = '//Alice') {
  const env = { ...process.env, MOSAIC_WS: DEFAULT_WS, MOSAIC_SURI: suri };
  const r = await runProgram(process.execPath, [CLI, ...args], { env, timeout: 120_000 });
  let json;
  try { json = JSON.parse(r.stdout); } catch { /* text */ }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

/** Resolves once `check()` is truthy, checking at every new block. */
const until = (what, check) => untilBlock(api, what, check, 240_000);

const info = async (index) => (await api.query.referenda.referendumInfoFor(index)).unwrap();

test('the tracks and the origins decode from metadata, with no custom types', async () => {
  const tracks = gov.tracks(api);
  assert.deepEqual(tracks.map((t) => [t.id, t.name]), [
    [0, 'root'], [1, 'referendum_canceller'], [10, 'parameter_admin'], [11, 'validator_admin'], [20, 'treasurer'],
  ]);
  // The dev chain runs every track at fast pace, with production deposits.
  assert.deepEqual(tracks.map((t) => [t.preparePeriod, t.decisionPeriod, t.confirmPeriod, t.minEnactmentPeriod]), Array(5).fill([2, 20, 2, 1]));
  assert.equal(tracks[0].decisionDeposit, 10_000n * MOS);
  // OriginCaller from metadata: the Governance pallet (index 45) and its origin's index.
  assert.deepEqual([...api.createType(gov.originType(api), gov.ORIGINS.treasurer).toU8a()], [45, 3]);
  assert.deepEqual([...api.createType(gov.originType(api), gov.ORIGINS.parameter_admin).toU8a()], [45, 1]);
  assert.deepEqual([...api.createType(gov.originType(api), gov.ORIGINS.root).toU8a()], [0, 0]);
  const cliTracks = await cli(['tracks', '--json']);
  assert.equal(cliTracks.status, 0, cliTracks.stderr);
  assert.equal(cliTracks.json[2].name, 'parameter_admin', 'names come without their NUL padding');
  const params = await cli(['parameters', '--json']);
  assert.equal(params.status, 0, params.stderr);
  assert.deepEqual(params.json.find((p) => p.name === 'ProtocolFee'), { name: 'ProtocolFee', type: 'Permill', value: null });
});

test('referenda change the protocol fee and spend from the treasury; a rejected one changes nothing', async () => {
  const beneficiary = devAccount('//GovernanceBeneficiary');
  const spend = 1_234n * MOS;
  // The treasury holds fees and slashes; give it enough for the spend.
  await sendAndInclude(api, api.tx.balances.transferKeepAlive(treasuryAddress(), 2_000n * MOS), bob);

  // 1. Through the CLI: a parameter referendum, 5 % → 8 %.
  const proposed = await cli(['propose-parameter', 'ProtocolFee', '8%', '--json']);
  assert.equal(proposed.status, 0, proposed.stderr);
  const fee = proposed.json.index;
  // 2. A treasury spend, and 3. a parameter change that everyone rejects.
  const pay = (await gov.propose(api, alice, 'treasurer', api.tx.treasury.spend(null, spend, beneficiary.address, null))).index;
  const rejected = (await gov.propose(api, bob, 'parameter_admin', gov.setParameterCall(api, 'MinJobTimeout', 9n))).index;
  // The CLI lists them, with their tracks, deposits placed, before anyone voted.
  const listed = await cli(['referenda', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const ours = listed.json.filter((r) => [fee, pay, rejected].includes(r.index));
  assert.deepEqual(ours.map((r) => r.track), ['parameter_admin', 'treasurer', 'parameter_admin']);
  assert.ok(ours.every((r) => ['preparing', 'deciding'].includes(r.status) && r.ayes === '0'), JSON.stringify(ours));

  const ballot = (index, aye) => api.tx.convictionVoting.vote(index, { Standard: { vote: { aye, conviction: 'None' }, balance: 900_000n * MOS } });
  const votes = VOTERS.slice(1).map((v) => sendAndInclude(api, api.tx.utility.batchAll([ballot(fee, true), ballot(pay, true), ballot(rejected, false)]), v));
  // Alice votes through the library, one referendum at a time.
  votes.push(gov.vote(api, alice, fee, true, 900_000n * MOS, 0)
    .then(() => gov.vote(api, alice, pay, true, 900_000n * MOS, 0))
    .then(() => gov.vote(api, alice, rejected, false, 900_000n * MOS, 0)));
  await Promise.all(votes);
  // Conviction 0 counts a tenth of the balance for approval and all of it for support
  // (checked on those still being decided: with these votes they pass within a few blocks).
  const tallies = (await gov.referenda(api)).filter((r) => [fee, pay, rejected].includes(r.index) && r.ayes !== undefined);
  for (const r of tallies) {
    const aye = r.index !== rejected;
    assert.deepEqual([r.ayes, r.nays, r.support], aye ? [540_000n * MOS, 0n, 5_400_000n * MOS] : [0n, 540_000n * MOS, 0n], JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }

  await until('both referenda to pass and be enacted', async () =>
    (await info(fee)).isApproved && (await info(pay)).isApproved
    && (await api.query.parameters.parameters({ Marketplace: 'ProtocolFee' })).isSome
    && (await api.query.treasury.spendCount()).toNumber() > 0);
  const stored = (await api.query.parameters.parameters({ Marketplace: 'ProtocolFee' })).unwrap().toJSON();
  assert.deepEqual(stored, { marketplace: { protocolFee: 80_000 } });

  // The next job settles at 8 %, to the unit.
  const model = 0;
  const terms = (await api.query.models.models(model)).unwrap();
  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  const submitted = await submitJob(api, bob, { model, prompt: 'Governance', maxTokens: 8, bid: ask });
  assert.equal((await api.query.jobs.jobs(submitted.job)).unwrap().protocolFee.toNumber(), 80_000);
  const { end } = await followJob(api, submitted.job, submitted.blockNumber);
  assert.equal(end.name, 'JobSettled');
  const receipt = end.data.receipt;
  const split = expectedSplit(receipt.paid.toBigInt(), terms.royaltyBps.toNumber(), 80_000);
  assert.equal(receipt.protocolFee.toBigInt(), split.protocolFee);
  assert.equal(receipt.royalty.toBigInt(), split.royalty);
  assert.equal(receipt.providers.toBigInt(), split.provider);

  // Anyone pays the approved spend out; the beneficiary receives exactly the amount.
  const spends = await api.query.treasury.spends.entries();
  const [key] = spends.find(([, s]) => s.unwrap().beneficiary.toString() === beneficiary.address);
  await sendAndInclude(api, api.tx.treasury.payout(key.args[0]), bob);
  assert.equal((await api.query.system.account(beneficiary.address)).data.free.toBigInt(), spend);

  // The rejected referendum: rejected at the end of its decision period, nothing changed.
  await until('the rejected referendum to end', async () => (await info(rejected)).isRejected);
  assert.ok((await api.query.parameters.parameters({ Marketplace: 'MinJobTimeout' })).isNone);

  // Votes come back: removed and unlocked, no lock left (Alice through the CLI).
  const back = VOTERS.slice(1).map((v) => sendAndInclude(api, api.tx.utility.batchAll([
    api.tx.convictionVoting.removeVote(10, fee), api.tx.convictionVoting.removeVote(20, pay), api.tx.convictionVoting.removeVote(10, rejected),
    api.tx.convictionVoting.unlock(10, v.address), api.tx.convictionVoting.unlock(20, v.address),
  ]), v));
  await gov.removeVote(api, alice, rejected);
  for (const index of [fee, pay]) {
    const r = await cli(['remove-vote', String(index), '--json']);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const track of ['10', '20']) assert.equal((await cli(['unlock', track, '--json'])).status, 0);
  await Promise.all(back);
  for (const v of VOTERS) assert.equal((await api.query.balances.locks(v.address)).length, 0, `${v.address} has no lock left`);

  // Back to the default, for the tests after this one.
  await sendAndInclude(api, api.tx.sudo.sudo(gov.setParameterCall(api, 'ProtocolFee', null)), alice);
  assert.ok((await api.query.parameters.parameters({ Marketplace: 'ProtocolFee' })).isNone);
});

test('a parameter outside its bounds is refused with a typed error', async () => {
  // sudo reports the inner error in its Sudid event, not as the extrinsic's error.
  const { events } = await sendAndInclude(api, api.tx.sudo.sudo(gov.setParameterCall(api, 'ProtocolFee', 1_000_000n)), alice);
  const sudid = events.find(({ event }) => api.events.sudo.Sudid.is(event)).event.data.sudoResult;
  assert.ok(sudid.isErr);
  const err = api.registry.findMetaError(sudid.asErr.asModule);
  assert.equal(`${err.section}.${err.name}`, 'governance.ParameterAboveMaximum');
  assert.ok((await api.query.parameters.parameters({ Marketplace: 'ProtocolFee' })).isNone);
  const cliErr = await cli(['propose-parameter', 'ProtocolFee', 'lots']);
  assert.equal(cliErr.status, 2);
  assert.match(cliErr.stderr, /ProtocolFee is a percentage/);
});
