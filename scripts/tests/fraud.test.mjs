// One auditor's finding of fraud convicts nobody (review N1), on the dev node: with two
// providers of the tiny model there is nobody to draw for a committee, so the finding is
// evidence of one party only, and the protocol judges nobody on fewer than three reports.
// A fresh account ("Mallory", funded by Alice) registers as a second provider of the tiny
// model with an operator key no node holds, so nothing answers for it but this test; Alice (the
// dev node's provider) steps aside while the job is drawn, so the job is Mallory's; the test
// answers in its place with text whose token ids do not spell it, as a provider that skips the
// work would. With the audit chance at 100 % (sudo, as a parameter referendum would set it),
// the dev node audits the answer for Alice when the challenge window closes and finds it
// fraudulent; no committee can be drawn, so the audit is inconclusive: no slash, no reward,
// and the answer is paid (the owner has its output). Conviction, which needs three reports,
// is tested in the jobs pallet. Mallory is paused afterwards, so later tests see Alice alone.
// It declares 1 token/s: a 16-token job then has a deadline 7 blocks away, time enough for
// this test to answer for it after the job is final.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, devAccount, sendAndInclude, undo } from '../lib/chain.mjs';
import { followJob } from '../lib/jobs.mjs';
import { submitJobAside, submitMadeUpAnswer } from '../lib/testing.mjs';
import { setParameterCall } from '../lib/governance.mjs';
import { MOS } from '../lib/units.mjs';

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

test('one auditor alone convicts nobody: a made-up answer found fraudulent by the dev node is paid, nobody slashed', async () => {
  const alice = devAccount('//Alice');
  const user = devAccount('//Bob');
  const mallory = devAccount('//Mallory');
  const operator = devAccount('//Mallory//operator');
  const bond = async (who) => (await api.query.providers.providers(who.address)).unwrap().bond.toBigInt();
  try {
    await sendAndInclude(api, api.tx.sudo.sudo(setParameterCall(api, 'AuditChance', 1_000_000_000n)), alice);
    if ((await api.query.system.account(mallory.address)).data.free.toBigInt() < 3_000n * MOS) {
      await sendAndInclude(api, api.tx.balances.transferKeepAlive(mallory.address, 3_000n * MOS), alice);
    }
    if ((await api.query.providers.providers(mallory.address)).isNone) {
      const profile = { cpuCores: 2, ramGib: 8, gpu: null, maxConcurrentJobs: 4, engine: `0x${'11'.repeat(32)}` };
      await sendAndInclude(api, api.tx.providers.registerProvider(profile, 1, operator.address, 2_000n * MOS), mallory);
      await sendAndInclude(api, api.tx.providers.serveModel(0, { contextLength: 256, maxOutputTokens: 128, tokensPerSecond: 1 }), mallory);
    } else if ((await api.query.providers.providers(mallory.address)).unwrap().status.isPaused) {
      await sendAndInclude(api, api.tx.providers.resume(), mallory);
    }
    const before = { mallory: await bond(mallory), alice: await bond(alice) };
    const s = await submitJobAside(api, user, { model: 0, prompt: 'Answer me honestly', maxTokens: 16, bid: 10n ** 6n }, [alice]);
    assert.equal(s.assigned[0].provider, mallory.address, 'the job is Mallory\'s');

    await submitMadeUpAnswer(api, s.job, mallory.address, operator);

    const names = [];
    let inconclusive;
    const { end } = await followJob(api, s.job, s.blockNumber, {
      timeoutMs: 180_000,
      onEvent: ({ name, data }) => {
        names.push(name === 'AuditReported' ? `${name}(${data.finding})` : name);
        if (name === 'AuditInconclusive') inconclusive = data;
      },
    });
    const seen = names.join(', ');
    assert.ok(names.includes('ResultSubmitted'), `the made-up answer landed: ${seen}`);
    const report = names.find((n) => n.startsWith('AuditReported'));
    assert.ok(report && !/Honest/.test(report), `the dev node found the fraud: ${seen}`);
    assert.ok(inconclusive, `the audit was inconclusive: ${seen}`);
    assert.deepEqual([inconclusive.reports.toNumber(), inconclusive.fraud.toNumber()], [1, 1], 'one report, of fraud');
    assert.ok(!names.includes('FraudConfirmed'), `nobody convicted on one report: ${seen}`);
    assert.equal(end.name, 'JobSettled', seen);
    assert.equal(await bond(mallory), before.mallory, 'no slash on one report');
    assert.equal(await bond(alice), before.alice, 'and the auditor keeps its bond');
  } finally {
    await undo('AuditChance back to its default', sendAndInclude(api, api.tx.sudo.sudo(setParameterCall(api, 'AuditChance', null)), alice));
    await undo('Mallory pauses', sendAndInclude(api, api.tx.providers.pause(), mallory));
  }
});
