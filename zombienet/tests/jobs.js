// A user (//Bob, who is not the model's creator) pays for jobs through a validator's RPC (the node this runs on): each is
// answered by a provider node, never by a validator, and settled; every receipt checks out to
// the unit against the balances before and after.
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo, args) {
  const count = Number(args[0] ?? 4);
  const { devAccount } = await import(`${ROOT}/scripts/lib/chain.mjs`);
  const { submitJob, followJob } = await import(`${ROOT}/scripts/lib/jobs.mjs`);
  const { expectedSplit, balancesAt, treasuryAddress, auditorShares } = await import(`${ROOT}/scripts/lib/testing.mjs`);
  const api = await connectTo(networkInfo, nodeName);
  const user = devAccount('//Bob');
  const providers = Object.values(PROVIDERS).map((s) => devAccount(s).address);
  const answeredBy = new Set();
  try {
    const terms = (await api.query.models.models(0)).unwrap();
    for (let i = 0; i < count; i += 1) {
      const bid = 10n ** 6n; // 1 µMOS per token: at least every provider's ask
      const s = await submitJob(api, user, { model: 0, prompt: `Network job ${i}`, maxTokens: 8, bid });
      const provider = s.assigned[0].provider;
      if (!providers.includes(provider)) throw new Error(`job ${s.job} was assigned to ${provider}, not a provider node`);
      const { end, endHash } = await followJob(api, s.job, s.blockNumber, { timeoutMs: 180_000 });
      if (end.name !== 'JobSettled') throw new Error(`job ${s.job} ended ${end.name}`);
      const r = end.data.receipt;
      const paid = r.paid.toBigInt();
      const job = (await api.query.jobs.jobs(s.job)).unwrap();
      const split = expectedSplit(paid, terms.royaltyBps.toNumber(), job.protocolFee.toNumber());
      const who = [user.address, provider, terms.creator.toString(), treasuryAddress()];
      const [u0, p0, c0, t0] = await balancesAt(api, s.parentHash, who);
      const [u1, p1, c1, t1] = await balancesAt(api, endHash, who);
      // A newcomer's answer may be audited (25 %): its fee then pays the auditors that upheld it.
      const shares = await auditorShares(api, s.job, endHash);
      const toAuditors = shares.reduce((sum, { amount }) => sum + amount, 0n);
      for (const { to } of shares) {
        if (!providers.includes(to) || to === provider) throw new Error(`job ${s.job}: fee share paid to ${to}, not another provider node`);
      }
      const checks = [
        [u0 - u1, paid + s.fee + s.deposit, 'the user paid the cost and the fee (the state deposit held)'],
        [p1 - p0, split.provider, 'the provider got its share'],
        [c1 - c0, split.royalty, 'the creator got the royalty'],
        [t1 - t0 + toAuditors, split.protocolFee, 'the treasury and the auditors got the protocol fee'],
        [r.refund.toBigInt(), s.escrow - paid, 'the rest was refunded'],
      ];
      for (const [got, want, what] of checks) if (got !== want) throw new Error(`job ${s.job}: ${what}: ${got} != ${want}`);
      answeredBy.add(provider);
      console.log(`job ${s.job}: ${end.data.tokens} tokens by ${provider}, paid ${paid}${shares.length ? `, audited: ${toAuditors} of the fee to ${shares.length} auditor(s)` : ''}`);
    }
    return answeredBy.size;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
