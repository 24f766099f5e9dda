// Chat and sampled jobs end to end on the dev node of scripts/test.sh: //Bob asks, //Alice's
// node renders the messages with the model's own chat template and samples with the job's
// seed. On SmolLM2-135M-Instruct (model 1, when scripts/prepare.sh could install it) the
// answers are checked for content; without it the same runs go to the tiny model (model 0),
// whose random weights say nothing checkable, and only the mechanics are checked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, devAccount, sendAndFinalize, undo } from '../lib/chain.mjs';
import { followJob, jobTx, outputOf, submitJob } from '../lib/jobs.mjs';
import { rawSpec } from '../lib/testing.mjs';

const REAL = existsSync(join(process.env.MOSAIC_MODELS ?? '', 'SmolLM2-135M-Instruct.Q4_1.gguf'));
const MODEL = REAL ? 1 : 0;
const QUESTION = [{ role: 'user', content: 'What is the capital of France?' }];

const alice = devAccount('//Alice');
const bob = devAccount('//Bob');
const dave = devAccount('//Dave');

let api;
let bid;
before(async () => {
  api = await connect();
  bid = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  if (!REAL) console.log('SmolLM2 is not installed: chat and sampling run on the tiny model, unchecked for content');
});
after(async () => { await api?.disconnect(); });

/** Submits `request` to MODEL and resolves with the settled answer's text and the job's view. */
async function answer(request, maxTokens = 32) {
  const job = await submitJob(api, bob, { model: MODEL, maxTokens, bid, ...request });
  const { end } = await followJob(api, job.job, job.blockNumber);
  assert.equal(end.name, 'JobSettled');
  const view = (await api.rpc.mosaic.job(job.job)).toJSON();
  return { text: new TextDecoder().decode(await outputOf(api, job.job)), view };
}

test('a chat job is rendered with the model\'s template and answered', async () => {
  const { text, view } = await answer({ messages: QUESTION });
  console.log(`model ${MODEL} answers ${JSON.stringify(text)}`);
  assert.deepEqual(view.messages, [{ role: 'user', content: QUESTION[0].content }]);
  assert.equal(view.sampling.temperature, 0, 'greedy by default');
  if (REAL) assert.match(text, /Paris/);
  else assert.ok(text.length > 0);
  // Not the raw text: the template's markers are not echoed as text.
  assert.doesNotMatch(text, /<\|im_(start|end)\|>/);
});

test('a sampled job repeats with its seed', async () => {
  const request = { messages: QUESTION, temperature: 0.3, topP: 0.9, topK: 40, seed: 42 };
  const first = await answer(request);
  const second = await answer(request);
  console.log(`sampled (seed 42) twice: ${JSON.stringify(first.text)}`);
  assert.equal(second.text, first.text, 'same engine, same seed, same output');
  assert.deepEqual(first.view.sampling, { temperature: 30, topP: 9000, topK: 40, seed: 42, stop: [] });
  assert.notEqual(first.view.requestHash, (await answer({ messages: QUESTION }, 1)).view.requestHash,
    'the sampling is part of what the attestation signs');
  if (REAL) assert.match(first.text, /Paris/);
});

test('bad requests are refused with typed errors and nothing is held', async () => {
  const holds = async () => JSON.stringify((await api.query.balances.holds(bob.address)).toJSON());
  const before = await holds();
  const refused = (request, error) => assert.rejects(
    sendAndFinalize(api, jobTx(api, { model: MODEL, maxTokens: 8, bid, ...request }), bob),
    new RegExp(`jobs\\.${error}`));
  assert.throws(() => jobTx(api, { model: MODEL, maxTokens: 8, bid, messages: [{ role: 'robot', content: 'hi' }] }),
    /unknown role "robot": a message's role is one of system, user, assistant/);
  await refused({ messages: [] }, 'EmptyMessages');
  await refused({ messages: QUESTION, temperature: 2.5 }, 'TemperatureOutOfRange');
  await refused({ messages: QUESTION, stop: ['a', 'b', 'c', 'd', 'e'] }, 'TooManyStops');
  await refused({ prompt: 'Hi', topP: 0 }, 'TopPOutOfRange');

  // A model without a chat template takes raw prompts only.
  const hash = `0x${Buffer.from(`no template ${Date.now()}`).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  const { events } = await sendAndFinalize(api, api.tx.models.registerModel('raw-only', hash, 1_000_000, rawSpec(2048), 0), dave);
  const model = events.find(({ event }) => api.events.models.ModelRegistered.is(event)).event.data.model.toNumber();
  await sendAndFinalize(api, api.tx.providers.serveModel(model, { contextLength: 2048, maxOutputTokens: 1024, tokensPerSecond: 20 }), alice);
  try {
    await assert.rejects(
      sendAndFinalize(api, jobTx(api, { model, maxTokens: 8, bid, messages: QUESTION }), bob),
      /jobs\.NoChatTemplate/);
  } finally {
    await undo('Alice stops serving the template-less model', sendAndFinalize(api, api.tx.providers.stopServing(model), alice));
  }
  assert.equal(await holds(), before, 'no escrow was held for any of them');
});
