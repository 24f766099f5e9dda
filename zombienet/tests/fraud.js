// One auditor's finding of fraud convicts nobody, across machines (review N1). Eve's node is
// paused (the DSL pauses it before this runs) and Ferdie steps aside on chain, so the job goes
// to Eve; this script then answers in Eve's place, with Eve's operator key, garbage text whose
// token ids do not spell it — as a provider would that skips the work. The audit chance is
// raised to 100 %; when the challenge window closes Ferdie's node (another machine) audits the
// answer and finds it fraudulent. With two providers nobody is left for a committee, and the
// protocol judges nobody on fewer than three reports: the audit is inconclusive, Eve keeps her
// bond, Ferdie gets no finder's share, and the answer is paid (conviction on three reports is
// tested in the jobs pallet).
//
// Timing: `submitJob` returns once the job's block is final (two or three blocks under BABE,
// more when a validator is down), and the job's deadline is MinJobTimeout + 1 blocks after it.
// With the default 4 the made-up answer once arrived after Eve had timed out (CI, stop 19), so
// the test raises MinJobTimeout to its bound (10) with the audit chance. The parameters and
// Ferdie's pause are final before the job is submitted (a block replaced on this network could
// otherwise put them after it), and Ferdie is back before the answer lands: the auditors are
// drawn two blocks after it, among the providers active then.
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo) {
  const { devAccount, sendAndFinalize, sendAndInclude, undo } = await import(`${ROOT}/scripts/lib/chain.mjs`);
  const { followJob } = await import(`${ROOT}/scripts/lib/jobs.mjs`);
  const { submitJobAside, submitMadeUpAnswer } = await import(`${ROOT}/scripts/lib/testing.mjs`);
  const gov = await import(`${ROOT}/scripts/lib/governance.mjs`);
  const api = await connectTo(networkInfo, nodeName);
  const alice = devAccount('//Alice');
  const user = devAccount('//Bob');
  const eve = devAccount(PROVIDERS.eve);
  const ferdie = devAccount(PROVIDERS.ferdie);
  const eveOperator = devAccount('//Eve');
  const bond = async (who) => (await api.query.providers.providers(who.address)).unwrap().bond.toBigInt();
  const setBoth = (chance, timeout) => api.tx.sudo.sudo(api.tx.utility.batchAll([
    gov.setParameterCall(api, 'AuditChance', chance),
    gov.setParameterCall(api, 'MinJobTimeout', timeout),
  ]));
  try {
    await sendAndFinalize(api, setBoth(1_000_000_000n, 10), alice);
    const bondBefore = await bond(eve);
    const s = await submitJobAside(api, user, { model: 0, prompt: 'Answer me honestly', maxTokens: 16, bid: 10n ** 6n }, [ferdie]);
    if (s.assigned[0].provider !== eve.address) throw new Error(`job ${s.job} went to ${s.assigned[0].provider}, not Eve`);
    await submitMadeUpAnswer(api, s.job, eve.address, eveOperator);

    const names = [];
    const { end } = await followJob(api, s.job, s.blockNumber, {
      timeoutMs: 300_000,
      onEvent: ({ name, data }) => {
        names.push(name === 'AuditReported' ? `${name}(${data.finding})` : name);
      },
    });
    if (end.name !== 'JobSettled') throw new Error(`job ${s.job} ended ${end.name}: ${names.join(', ')}`);
    if (!names.includes('ResultSubmitted')) throw new Error(`the made-up answer did not land: ${names.join(', ')}`);
    const found = names.find((n) => n.startsWith('AuditReported'));
    if (!found || /Honest/.test(found)) throw new Error(`Ferdie's node did not find the fraud: ${names.join(', ')}`);
    if (!names.includes('AuditInconclusive')) throw new Error(`the audit was not inconclusive: ${names.join(', ')}`);
    if (names.includes('FraudConfirmed')) throw new Error(`convicted on one report: ${names.join(', ')}`);
    const bondAfter = await bond(eve);
    if (bondAfter !== bondBefore) throw new Error(`Eve's bond moved on one report: ${bondBefore} -> ${bondAfter}`);
    console.log(`job ${s.job}: ${names.join(', ')}; Eve's bond ${bondBefore} -> ${bondAfter}`);
    return 1;
  } finally {
    await undo('the fraud parameters back to their defaults', sendAndInclude(api, setBoth(null, null), alice));
    await api.disconnect();
  }
}

module.exports = { run };
