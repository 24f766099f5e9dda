// After the provider node of provider-crash.js is back and synced: for five more blocks it does
// not answer the job that was taken from it (no result of its own on chain for that job).
const fs = require('node:fs');
const path = require('node:path');
const { connectTo, until, best } = require('./common.js');

async function run(nodeName, networkInfo) {
  const { job, provider } = JSON.parse(fs.readFileSync(path.join(networkInfo.tmpDir, 'crash-job.json'), 'utf8'));
  const api = await connectTo(networkInfo, nodeName);
  try {
    const start = await best(api);
    await until(api, 'five blocks', async (h) => h.number.toNumber() >= start + 5, 100_000);
    if ((await api.query.jobs.results(job, provider)).isSome) throw new Error(`job ${job} has a result from ${provider}`);
    const view = (await api.rpc.mosaic.job(job)).toJSON();
    const mine = view.assignments.filter((a) => a.provider === provider);
    if (mine.some((a) => a.state.answered)) throw new Error(`job ${job}: ${JSON.stringify(mine)}`);
    return mine.length;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
