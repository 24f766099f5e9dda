// The dev-chain demo that `scripts/run-dev.sh` runs once the node is up: //Bob pays for a job
// on the tiny model, //Alice's node answers it off-chain with llama.cpp, the chain settles it.
import { connect, devAccount, waitFinalized } from './lib/chain.mjs';
import { fmt, followJob, submitJob } from './lib/jobs.mjs';

const prompt = process.argv[2] ?? 'Once upon a time';
const maxTokens = Number(process.argv[3] ?? 32);

const api = await connect();
try {
  const head = await waitFinalized(api, 1);
  console.log(`chain ${(await api.rpc.system.chain()).toString()} finalised #${head.number}`);
  const bob = devAccount('//Bob');
  const model = 0;
  const info = (await api.query.models.models(model)).unwrap();
  const alice = devAccount('//Alice').address;
  const ask = (await api.query.providers.providers(alice)).unwrap().ask.toBigInt();
  const bid = 2n * ask;
  console.log(`model ${model}: ${info.name.toUtf8()} (${info.contentHash.toHex()})`);
  console.log(`Bob submits ${JSON.stringify(prompt)}, at most ${maxTokens} tokens at up to ${fmt(bid)} per token`);

  const started = Date.now();
  const job = await submitJob(api, bob, { model, prompt, maxTokens, bid });
  console.log(`  submitted  job ${job.job} in #${job.blockNumber}: escrow ${fmt(job.escrow)}, fee ${fmt(job.fee)}`);
  for (const a of job.assigned) console.log(`  assigned   ${a.provider} at ${fmt(a.price)} per token`);
  const { end } = await followJob(api, job.job, job.blockNumber, {
    onEvent: ({ name, data }) => {
      if (name === 'ResultSubmitted') console.log(`  answered   by ${data.provider}: ${data.tokens} tokens, output hash ${data.outputHash.toHex()}`);
    },
  });
  if (end.name !== 'JobSettled') throw new Error(`job ended ${end.name}`);
  const r = end.data.receipt;
  console.log(`  settled    after ${((Date.now() - started) / 1000).toFixed(1)} s (finalised)`);
  console.log(`receipt: paid ${fmt(r.paid.toBigInt())} = royalty ${fmt(r.royalty.toBigInt())} + protocol fee ${fmt(r.protocolFee.toBigInt())} + provider ${fmt(r.providers.toBigInt())}; refunded ${fmt(r.refund.toBigInt())}`);
  const result = (await api.query.jobs.results(job.job, job.assigned[0].provider)).unwrap();
  console.log(`output: ${JSON.stringify(new TextDecoder().decode(result.output.toU8a(true)))}`);
} finally {
  await api.disconnect();
}
