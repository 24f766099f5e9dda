// End-to-end latency of jobs on a dev chain (MOSAIC_WS), beside the raw inference time the
// provider node's Prometheus metrics (MOSAIC_PROMETHEUS) report for the same jobs. Prints a
// table; asserts nothing. Run by scripts/bench-inference.sh.
import { connect, devAccount } from '../lib/chain.mjs';
import { jobTx } from '../lib/jobs.mjs';

const JOBS = Number(process.env.JOBS ?? 5);
const MAX_TOKENS = Number(process.env.MAX_TOKENS ?? 32);
const METRICS = process.env.MOSAIC_PROMETHEUS ?? 'http://127.0.0.1:19655/metrics';

async function inferenceSeconds() {
  const text = await (await fetch(METRICS)).text();
  const value = (name) => Number((text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm')) ?? [])[1] ?? NaN);
  return { sum: value('mosaic_inference_seconds_sum'), count: value('mosaic_inference_seconds_count') };
}

const api = await connect();
const bob = devAccount('//Bob');
const alice = devAccount('//Alice').address;
const ask = (await api.query.providers.providers(alice)).unwrap().ask.toBigInt();

// Best-block times at which each job's events appeared.
const seen = new Map();
await api.rpc.chain.subscribeNewHeads(async (header) => {
  const at = Date.now();
  const events = await (await api.at(header.hash)).query.system.events();
  for (const { event } of events) {
    if (event.section !== 'jobs' || !event.data.job) continue;
    const key = `${event.data.job.toString()}:${event.method}`;
    if (!seen.has(key)) seen.set(key, { at, block: header.number.toNumber() });
  }
});
const waitSeen = async (key) => { while (!seen.has(key)) await new Promise((r) => setTimeout(r, 10)); return seen.get(key); };

const rows = [];
for (let i = 0; i < JOBS; i += 1) {
  const job = (await api.query.jobs.nextJobId()).toString();
  const before = await inferenceSeconds();
  const sent = Date.now();
  await jobTx(api, { model: 0, prompt: `Job number ${i}: once upon a time`, maxTokens: MAX_TOKENS, bid: ask }).signAndSend(bob);
  const included = await waitSeen(`${job}:JobSubmitted`);
  const answered = await waitSeen(`${job}:ResultSubmitted`);
  await waitSeen(`${job}:JobSettled`);
  const afterwards = await inferenceSeconds();
  rows.push({
    job,
    toInclusion: included.at - sent,
    toResult: answered.at - sent,
    blocks: answered.block - included.block,
    inference: (afterwards.sum - before.sum) * 1e3,
    runs: afterwards.count - before.count,
  });
}
await api.disconnect();

const ms = (x) => `${x.toFixed(0).padStart(6)} ms`;
console.log(`${JOBS} jobs on the tiny model, ${MAX_TOKENS} tokens max, 6 s blocks (times from submission, best blocks):`);
console.log('job  | in a block | result in a block | blocks between | raw inference');
for (const r of rows) {
  console.log(`${r.job.padStart(4)} | ${ms(r.toInclusion)} | ${ms(r.toResult)}       | ${String(r.blocks).padStart(14)} | ${r.inference.toFixed(2).padStart(9)} ms (${r.runs} run)`);
}
const avg = (f) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
console.log(`mean | ${ms(avg((r) => r.toInclusion))} | ${ms(avg((r) => r.toResult))}       | ${avg((r) => r.blocks).toFixed(1).padStart(14)} | ${avg((r) => r.inference).toFixed(2).padStart(9)} ms`);
process.exit(0);
