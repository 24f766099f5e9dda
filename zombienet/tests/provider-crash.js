// Run while the provider node `args[0]` is paused (it stopped answering, as a crashed node
// does): the other provider steps aside on chain while a user submits a job, so the job is the
// stopped provider's, and steps back in at once; the job's deadline passes and the stopped
// provider is slashed as absent; the chain hands the job to the other provider — whose engine
// differs (another thread count): since audits replaced bit-exact majorities, any engine may
// execute — which answers it, and it settles. Nothing stays held.
// One job, not jobs until the draw picks the stopped provider (up to 12 of ~40 s each within
// the DSL's 400 s). MinJobTimeout is raised to its bound (10) meanwhile, so that the other
// provider is surely back when the stopped one times out: its pause and the parameter are final
// before the job is submitted, and `submitJob` returns once the job's block is final.
// The job id is kept in the network's directory for not-answered-twice.js.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo, args) {
  const stopped = args[0];
  const { devAccount, sendAndFinalize, sendAndInclude, undo } = await import(`${ROOT}/scripts/lib/chain.mjs`);
  const { followJob } = await import(`${ROOT}/scripts/lib/jobs.mjs`);
  const { submitJobAside, jobHolds } = await import(`${ROOT}/scripts/lib/testing.mjs`);
  const { setParameterCall } = await import(`${ROOT}/scripts/lib/governance.mjs`);
  const api = await connectTo(networkInfo, nodeName);
  const sudo = devAccount('//Alice');
  const user = devAccount('//Dave');
  const down = devAccount(PROVIDERS[stopped]).address;
  const [running] = Object.entries(PROVIDERS).filter(([node]) => node !== stopped).map(([, suri]) => devAccount(suri));
  const timeout = (blocks) => api.tx.sudo.sudo(setParameterCall(api, 'MinJobTimeout', blocks));
  try {
    await sendAndFinalize(api, timeout(10), sudo);
    const s = await submitJobAside(api, user, { model: 0, prompt: 'Crash', maxTokens: 8, bid: 10n ** 6n }, [running]);
    if (s.assigned[0].provider !== down) throw new Error(`job ${s.job} went to ${s.assigned[0].provider}, not the stopped ${stopped}`);
    const { end, events } = await followJob(api, s.job, s.blockNumber, { timeoutMs: 300_000 });
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
    return 1;
  } finally {
    await undo('MinJobTimeout back to its default', sendAndInclude(api, timeout(null), sudo));
    await api.disconnect();
  }
}

module.exports = { run };
