// End to end against the dev node started by scripts/test.sh (MOSAIC_WS) with the tiny model
// in its models directory: //Bob pays for jobs, //Alice's node answers them off-chain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { blake2AsHex } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, devAccount, sendAndFinalize, undo } from '../lib/chain.mjs';
import { RPC_ERRORS } from '../lib/rpc.mjs';
import { followJob, outputOf, submitJob } from '../lib/jobs.mjs';
import { balancesAt, expectedSplit, inferDirectly, jobHolds, rawSpec, treasuryAddress } from '../lib/testing.mjs';

const NODE_BINARY = process.env.MOSAIC_NODE;
const TINY_MODEL = process.env.MOSAIC_TINY_MODEL;
const NODE_LOG = process.env.MOSAIC_NODE_LOG;

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

const alice = devAccount('//Alice');
const bob = devAccount('//Bob');
const charlie = devAccount('//Charlie');
const dave = devAccount('//Dave');

test('a paid job is answered by the provider node, attested and settled to the unit', async () => {
  assert.ok(NODE_BINARY && TINY_MODEL, 'MOSAIC_NODE and MOSAIC_TINY_MODEL are set');
  const model = 0;
  const terms = (await api.query.models.models(model)).unwrap();
  assert.equal(terms.contentHash.toHex(), blake2AsHex(readFileSync(TINY_MODEL), 256),
    'genesis registers the generated tiny model');
  const prompt = 'Once upon a time';
  const maxTokens = 24;
  const provider = (await api.query.providers.providers(alice.address)).unwrap();
  const ask = provider.ask.toBigInt();
  const bid = 2n * ask;

  const submitted = await submitJob(api, bob, { model, prompt, maxTokens, bid });
  assert.equal(submitted.escrow, BigInt(maxTokens) * bid, 'escrow is max_tokens × bid');
  assert.deepEqual(submitted.assigned, [{ provider: alice.address, price: ask }]);

  const { end, endHash, events } = await followJob(api, submitted.job, submitted.blockNumber);
  assert.deepEqual(events.map((e) => e.name), ['JobSubmitted', 'ProviderAssigned', 'ResultSubmitted', 'JobSettled']);
  assert.equal(end.name, 'JobSettled');
  const tokens = BigInt(end.data.tokens.toNumber());
  assert.ok(tokens > 0n && tokens <= BigInt(maxTokens), `${tokens} tokens`);

  // The receipt: tokens × ask, split between royalty, protocol fee and provider.
  const paid = tokens * ask;
  // The rate the job was submitted with (a governance parameter: see governance.test.mjs).
  const protocolFee = (await api.query.jobs.jobs(submitted.job)).unwrap().protocolFee.toNumber();
  const split = expectedSplit(paid, terms.royaltyBps.toNumber(), protocolFee);
  const receipt = end.data.receipt;
  assert.equal(receipt.paid.toBigInt(), paid);
  assert.equal(receipt.royalty.toBigInt(), split.royalty);
  assert.equal(receipt.protocolFee.toBigInt(), split.protocolFee);
  assert.equal(receipt.providers.toBigInt(), split.provider);
  assert.equal(receipt.refund.toBigInt(), submitted.escrow - paid);

  // Balances, exactly: Bob paid the cost and the fee of submit_job, nothing else; the result
  // transaction cost the provider nothing.
  const who = [bob.address, alice.address, terms.creator.toString(), treasuryAddress()];
  assert.equal(terms.creator.toString(), charlie.address);
  const [b0, a0, c0, t0] = await balancesAt(api, submitted.parentHash, who);
  const [b1, a1, c1, t1] = await balancesAt(api, endHash, who);
  assert.equal(b0 - b1, paid + submitted.fee + submitted.deposit,
    'Bob paid the cost and the submission fee; the state deposit is held until the record is pruned');
  const estimate = (await api.rpc.mosaic.estimate(model, maxTokens, bid.toString())).toJSON();
  assert.equal(BigInt(estimate.deposit), submitted.deposit, 'the estimate names the deposit');
  assert.ok(submitted.deposit > 0n);
  const { held, recorded } = await jobHolds(api, bob.address, endHash);
  assert.equal(held, recorded, "what Bob's jobs hold is what their records say");
  assert.ok(held >= submitted.deposit, `the deposit stays held: ${held}`);
  assert.equal(a1 - a0, split.provider, 'the provider got its share');
  assert.equal(c1 - c0, split.royalty, 'the creator got the royalty');
  assert.equal(t1 - t0, split.protocolFee, 'the treasury got the protocol fee');

  // The closed job keeps hashes, not bytes: its request and answer left state, and the node
  // reads them back from the blocks that carried them.
  const apiEnd = await api.at(endHash);
  assert.ok((await apiEnd.query.jobs.requests(submitted.job)).isNone, 'the request left state');
  assert.ok((await apiEnd.query.jobs.results(submitted.job, alice.address)).isNone, 'the answer left state');
  const view = (await api.rpc.mosaic.job(submitted.job, endHash)).toJSON();
  assert.ok(view.pruned);
  assert.equal(view.submittedAt, submitted.blockNumber);
  assert.equal(Buffer.from(view.prompt.slice(2), 'hex').toString('utf8'), prompt, 'the prompt, from its block');

  // The attested output is what the engine produces for the same prompt, run directly.
  const output = await outputOf(api, submitted.job, endHash);
  const direct = await inferDirectly(NODE_BINARY, TINY_MODEL, prompt, maxTokens);
  assert.equal(u8aToHex(output), direct.output_hex, 'the output (from its block) equals a direct run');
  assert.equal(BigInt(direct.tokens), tokens);
  assert.equal(end.data.outputHash.toHex(), blake2AsHex(output, 256));
  const job = (await api.query.jobs.jobs(submitted.job)).unwrap();
  assert.equal(job.engine.toHex(), direct.engine, 'the job ran on the engine the provider declared');
  console.log(`job ${submitted.job}: ${tokens} tokens, output ${JSON.stringify(direct.output)}`);
});

/** What the dev provider declares: the node's default 2,048-token context, half as output. */
const DEV_TERMS = { contextLength: 2048, maxOutputTokens: 1024, tokensPerSecond: 20 };

/**
 * Dave registers a model (of a file no node has) with `context`; Alice serves it on DEV_TERMS.
 * Resolves with `{ model, hash }`.
 */
async function registerServedByAlice(name, context) {
  const hash = blake2AsHex(`${name} ${Date.now()}`, 256);
  const { events } = await sendAndFinalize(api,
    api.tx.models.registerModel(name, hash, 1_000_000, rawSpec(context), 0), dave);
  const model = events.find(({ event }) => api.events.models.ModelRegistered.is(event)).event.data.model.toNumber();
  await sendAndFinalize(api, api.tx.providers.serveModel(model, DEV_TERMS), alice);
  return { model, hash };
}

test('a job for a model the provider does not have is declined and refunded in full, with no slash', async () => {
  // Dave registers a model no node has; Alice declares she serves it.
  const { model, hash } = await registerServedByAlice('missing', 256);

  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  const submitted = await submitJob(api, bob, { model, prompt: 'Hello', maxTokens: 8, bid: ask });
  const { end, endHash, events: jobEvents } = await followJob(api, submitted.job, submitted.blockNumber);
  assert.deepEqual(jobEvents.map((e) => e.name), ['JobSubmitted', 'ProviderAssigned', 'ProviderDeclined', 'JobRefunded']);
  assert.equal(jobEvents[2].data.reason.toString(), 'ModelMissing');
  assert.equal(end.data.amount.toBigInt(), submitted.escrow, 'the whole escrow comes back');
  const [before, aliceBefore] = await balancesAt(api, submitted.parentHash, [bob.address, alice.address]);
  const [afterwards, aliceAfter] = await balancesAt(api, endHash, [bob.address, alice.address]);
  assert.equal(before - afterwards, submitted.fee + submitted.deposit,
    'Bob lost only the submission fee (the state deposit is held until the record is pruned)');
  const bondAt = async (at) => (await (await api.at(at)).query.providers.providers(alice.address)).unwrap().bond.toBigInt();
  assert.equal(await bondAt(endHash), await bondAt(submitted.parentHash), "Alice's bond is untouched");
  assert.ok(aliceAfter >= aliceBefore, 'Alice paid nothing for declining');
  if (NODE_LOG) {
    const log = readFileSync(NODE_LOG, 'utf8');
    assert.match(log, new RegExp(`job ${submitted.job}: no file with content hash ${hash}`),
      'the node said why it did not answer');
  }
  // The node counted the failure by reason, and the earlier job as run.
  const metrics = process.env.MOSAIC_PROMETHEUS;
  if (metrics) {
    const text = await (await fetch(metrics)).text();
    const value = (re) => Number((text.match(re) ?? [])[1] ?? NaN);
    assert.ok(value(/^mosaic_inference_failures_total\{[^}]*reason="model_missing"[^}]*\} (\S+)$/m) >= 1, 'failures by reason');
    assert.ok(value(/^mosaic_inference_jobs_total(?:\{[^}]*\})? (\S+)$/m) >= 1, 'jobs run');
    assert.ok(value(/^mosaic_inference_tokens_total(?:\{[^}]*\})? (\S+)$/m) >= 1, 'tokens generated');
    assert.ok(value(/^mosaic_inference_seconds_count(?:\{[^}]*\})? (\S+)$/m) >= 1, 'inference seconds histogram');
  }
  // Leave the dev chain as we found it.
  await undo('Alice stops serving the test model', sendAndFinalize(api, api.tx.providers.stopServing(model), alice));
});

test('a job longer than any provider declares it can run is refused at submission; no bond moves', async () => {
  // The attack of issue 9: a model registered with its true 32k context, served by a node
  // whose engine runs 2,048 tokens; a job of 4,000 tokens fits the model, not the node.
  const { model } = await registerServedByAlice('long', 32_768);
  try {
    const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
    const bond = async () => (await api.query.providers.providers(alice.address)).unwrap().bond.toBigInt();
    const bondBefore = await bond();
    await assert.rejects(
      sendAndFinalize(api, api.tx.jobs.submitJob(model, 'Write a long story.', 4000, ask), bob),
      /jobs\.NoProviderCovers/);
    // The estimate says so before anyone pays.
    await assert.rejects(api.rpc.mosaic.estimate(model, 4000), (e) => e.message.startsWith(`${RPC_ERRORS.NO_PROVIDER_COVERS}:`));
    assert.equal(await bond(), bondBefore, "Alice's bond is untouched");
    const page = (await api.rpc.mosaic.providers(model)).toJSON();
    assert.deepEqual(page.providers[0].terms, DEV_TERMS, 'mosaic_providers shows the declared terms');
    assert.equal(page.total, 1);
    assert.equal(page.next, null);
  } finally {
    await undo('Alice stops serving the test model', sendAndFinalize(api, api.tx.providers.stopServing(model), alice));
  }
});
