// Audits across machines: with the audit chance raised to 100 % (by sudo, as a parameter
// referendum would), every job's answer is re-scored by the other provider node — another
// machine, another thread count (eve decodes on 1 thread, ferdie on 2) — by teacher forcing
// the executor's own tokens. Each auditor must report, find the answer honest, and the job must
// settle with no bond moving. Then the audit chance goes back to its default.
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo, args) {
  const count = Number(args[0] ?? 3);
  const { devAccount, sendAndInclude, undo } = await import(`${ROOT}/scripts/lib/chain.mjs`);
  const { submitJob, followJob } = await import(`${ROOT}/scripts/lib/jobs.mjs`);
  const gov = await import(`${ROOT}/scripts/lib/governance.mjs`);
  const api = await connectTo(networkInfo, nodeName);
  const alice = devAccount('//Alice');
  const user = devAccount('//Bob');
  const providers = Object.values(PROVIDERS).map((s) => devAccount(s).address);
  const bonds = () => Promise.all(providers.map(async (p) => (await api.query.providers.providers(p)).unwrap().bond.toBigInt()));
  try {
    await sendAndInclude(api, api.tx.sudo.sudo(gov.setParameterCall(api, 'AuditChance', 1_000_000_000n)), alice);
    const before = await bonds();
    for (let i = 0; i < count; i += 1) {
      const s = await submitJob(api, user, { model: 0, prompt: `Audited job ${i}`, maxTokens: 16, bid: 10n ** 6n });
      const executor = s.assigned[0].provider;
      const auditors = [];
      const reports = [];
      const { end, events } = await followJob(api, s.job, s.blockNumber, {
        timeoutMs: 240_000,
        onEvent: ({ name, data }) => {
          if (name === 'AuditorAssigned') auditors.push(data.auditor.toString());
          if (name === 'AuditReported') reports.push({ auditor: data.auditor.toString(), finding: data.finding.toString(), report: data.report.toJSON() });
        },
      });
      const names = events.map((e) => e.name).join(', ');
      if (end.name !== 'JobSettled') throw new Error(`job ${s.job} ended ${end.name} (${names})`);
      if (auditors.length !== 1) throw new Error(`job ${s.job}: ${auditors.length} auditors drawn (${names})`);
      const [auditor] = auditors;
      if (auditor === executor || !providers.includes(auditor)) throw new Error(`job ${s.job}: auditor ${auditor} is not the other provider node`);
      const [r] = reports;
      if (!r || r.auditor !== auditor) throw new Error(`job ${s.job}: the auditor did not report (${names})`);
      if (r.finding !== 'Honest') throw new Error(`job ${s.job}: found ${r.finding}: ${JSON.stringify(r.report)}`);
      console.log(`job ${s.job}: answered by ${executor}, audited by ${auditor} on another machine: ${JSON.stringify(r.report)}`);
    }
    const after = await bonds();
    if (after.some((b, i) => b !== before[i])) throw new Error(`a bond moved: ${before} -> ${after}`);
    return count;
  } finally {
    await undo('AuditChance back to its default', sendAndInclude(api, api.tx.sudo.sudo(gov.setParameterCall(api, 'AuditChance', null)), alice));
    await api.disconnect();
  }
}

module.exports = { run };
