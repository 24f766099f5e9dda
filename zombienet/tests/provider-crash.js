// Run while the provider node `args[0]` is paused (it stopped answering, as a crashed node
// does): a user submits jobs until one is assigned to it; that job's deadline passes and the
// provider is slashed as absent; the chain hands the job to the other provider — whose engine
// differs (another thread count): since audits replaced bit-exact majorities, any engine may
// execute — which answers it, and it settles. Nothing stays held.
// The job id is kept in the network's directory for not-answered-twice.js.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo, args) {
  const stopped = args[0];
  const { devAccount } = await import(`${ROOT}/scripts/lib/chain.mjs`);
  const { submitJob, followJob, jobHolds } = await import(`${ROOT}/scripts/lib/jobs.mjs`);
  const api = await connectTo(networkInfo, nodeName);
  const user = devAccount('//Dave');
  const down = devAccount(PROVIDERS[stopped]).address;
  try {
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const s = await submitJob(api, user, { model: 0, prompt: `Crash ${attempt}`, maxTokens: 8, bid: 10n ** 6n });
      const onDown = s.assigned[0].provider === down;
      const { end, events } = await followJob(api, s.job, s.blockNumber, { timeoutMs: 240_000 });
      if (!onDown) continue; // the other provider took it: try again
      const names = events.map((e) => `${e.name}${e.data.provider ? `(${e.data.provider.toString().slice(0, 6)})` : ''}`);
      const timedOut = events.find((e) => e.name === 'ProviderTimedOut');
      if (!timedOut || timedOut.data.provider.toString() !== down) throw new Error(`job ${s.job}: the stopped provider did not time out: ${names}`);
      if (timedOut.data.slashed.toBigInt() === 0n) throw new Error(`job ${s.job}: the absent provider was not slashed`);
      const answered = events.filter((e) => e.name === 'ResultSubmitted').map((e) => e.data.provider.toString());
      if (answered.includes(down)) throw new Error(`job ${s.job}: answered by the stopped provider`);
      const others = Object.values(PROVIDERS).map((x) => devAccount(x).address).filter((a) => a !== down);
      if (end.name !== 'JobSettled' || answered.length !== 1 || !others.includes(answered[0])) {
        throw new Error(`job ${s.job} should have been reassigned to the other provider and settled: ${names}`);
      }
      const job = (await api.query.jobs.jobs(s.job)).unwrap();
      if (job.escrow.toBigInt() !== 0n) throw new Error(`job ${s.job} still holds ${job.escrow}`);
      const { held, recorded } = await jobHolds(api, user.address);
      if (held !== recorded) throw new Error(`held for the user's jobs ${held}, their records ${recorded}`);
      fs.writeFileSync(path.join(networkInfo.tmpDir, 'crash-job.json'), JSON.stringify({ job: s.job.toString(), provider: down }));
      console.log(`job ${s.job}: ${names.join(' → ')}`);
      return attempt;
    }
    throw new Error(`12 jobs in a row went to the running provider; none to ${stopped}`);
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
