#!/usr/bin/env node
// Mosaic's OpenAI-compatible gateway: `/v1/models`, `/v1/chat/completions` and
// `/v1/completions` (with `stream: true` as server-sent events), paid from one account. A
// request goes to a session of its model (opened on first use, reused, topped up, rolled,
// closed on shutdown: scripts/lib/gateway-sessions.mjs), served by the session's provider
// with no transaction; where no session can be had it is paid as a one-shot job on chain.
//
//   MOSAIC_SURI=//Bob MOSAIC_GATEWAY_KEY=secret node scripts/gateway.mjs [--url ws://127.0.0.1:9944]
//       [--host 127.0.0.1] [--port 8080] [--concurrency 8] [--max-tokens 256] [--no-sessions]
//
// MOSAIC_SURI is the paying account (dev URI or mnemonic); MOSAIC_GATEWAY_KEY is the bearer key
// clients must send (`Authorization: Bearer …`), so the gateway is not an open wallet. Both
// come from the environment only. Streams come from the public endpoint the assigned provider
// declared on chain (`providers.setEndpoint`), else from the node at --url (on the dev chain,
// the provider's own node). Every answer carries its receipt and attestation (`mosaic` field,
// `x-mosaic-*` headers): a session request's receipt signed by the provider's operator key and
// checked against the streamed bytes, or a job's, with the streamed text checked against the
// output hash the provider attested on chain.
import Fastify from 'fastify';
import { createSession } from 'better-sse';
import { u8aConcat, stringToU8a, u8aToHex, u8aToString, hexToU8a, bnToU8a } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, DEFAULT_WS, keyFromEnv, sendAndInclude } from './lib/chain.mjs';
import { followJob, jobTx } from './lib/jobs.mjs';
import { fmt } from './lib/units.mjs';
import { allModels, allProviders, RPC_ERRORS } from './lib/rpc.mjs';
import { ApiError, chunk, completion, jobFromBody, modelEntry } from './lib/openai.mjs';
import { SESSION_ERRORS } from './lib/sessions.mjs';
import { SessionPool } from './lib/gateway-sessions.mjs';

const USAGE = `usage: MOSAIC_SURI=… MOSAIC_GATEWAY_KEY=… node scripts/gateway.mjs [options]

  --url ws://…        the Mosaic node (default MOSAIC_WS or ${DEFAULT_WS})
  --host ADDRESS      where to listen (default 127.0.0.1)
  --port N            (default 8080)
  --concurrency N     requests served at once; more get 429 (default 8)
  --max-tokens N      max_tokens when a request has none (default 256)
  --no-sessions       pay every request as a one-shot job (no sessions)
  --session-requests N  a session's budget, and each top-up: N requests at its largest
                      max_tokens and price (default 32)
  --session-lifetime BLOCKS  how long a session lives before the gateway rolls it (default 600)
  --sessions-per-model N  sessions serving one model at once (default 2)
  --help

MOSAIC_SURI: the account that pays for jobs. MOSAIC_GATEWAY_KEY: the bearer key clients send.`;

function parseArgs(argv) {
  const o = { url: DEFAULT_WS, host: '127.0.0.1', port: 8080, concurrency: 8, maxTokens: 256, sessions: true, sessionRequests: 32, sessionLifetime: 600, perModel: 2 };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const v = () => { i += 1; if (i >= argv.length) throw new Error(`${a} needs a value`); return argv[i]; };
    const int = (s) => { if (!/^\d+$/.test(s)) throw new Error(`${a} must be a whole number`); return Number(s); };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--url') o.url = v();
    else if (a === '--host') o.host = v();
    else if (a === '--port') o.port = int(v());
    else if (a === '--concurrency') o.concurrency = int(v());
    else if (a === '--max-tokens') o.maxTokens = int(v());
    else if (a === '--no-sessions') o.sessions = false;
    else if (a === '--session-requests') o.sessionRequests = int(v());
    else if (a === '--session-lifetime') o.sessionLifetime = int(v());
    else if (a === '--sessions-per-model') o.perModel = int(v());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** What the job's owner signs to follow its output: mosaic_primitives::stream_signing_bytes. */
function streamSigningBytes(job, genesis) {
  return u8aConcat(stringToU8a('mosaic/stream/v1'), bnToU8a(job, { bitLength: 64, isLe: true }), hexToU8a(genesis));
}

/** An RPC error of the node as the gateway's answer. */
function fromRpc(e) {
  const code = Number(/^(\d+):/.exec(e.message)?.[1]);
  const message = e.message.replace(/^\d+:\s*/, '');
  if (code === RPC_ERRORS.NO_ELIGIBLE_PROVIDER || code === RPC_ERRORS.NO_PROVIDER_COVERS) return new ApiError(503, message, { code: 'no_eligible_provider' });
  if (code === RPC_ERRORS.UNKNOWN_MODEL) return new ApiError(404, message, { code: 'model_not_found' });
  if (code === RPC_ERRORS.EXCEEDS_CONTEXT) return new ApiError(400, message, { code: 'context_length_exceeded', param: 'max_tokens' });
  if (code) return new ApiError(400, message);
  return new ApiError(502, `the node answered: ${e.message}`, { type: 'api_error' });
}

/** A dispatch error of the paying transaction as the gateway's answer. */
function fromDispatch(e) {
  const m = e.message;
  if (/balances\.|InsufficientBalance|FundsUnavailable|Inability to pay/i.test(m)) return new ApiError(402, `the gateway's account cannot pay for this job: ${m}`, { code: 'insufficient_funds' });
  if (/NoEligibleProvider|NoProviderCovers|BidBelowEveryAsk/.test(m)) return new ApiError(503, m, { code: 'no_eligible_provider' });
  // The block had taken all the jobs it accepts: no job was made, sending it again next block may land.
  if (/BlockFullOfJobs/.test(m)) return new ApiError(429, `${m}: the chain took as many jobs as a block accepts; try again in a few seconds`, { code: 'rate_limit_exceeded' });
  return new ApiError(400, m);
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(`${e.message}\n\n${USAGE}`); return 2; }
  if (o.help) { console.log(USAGE); return 0; }
  const payer = await keyFromEnv('MOSAIC_SURI');
  if (!payer) { console.error(`set MOSAIC_SURI to the paying account\n\n${USAGE}`); return 2; }
  const key = process.env.MOSAIC_GATEWAY_KEY;
  if (!key) { console.error(`set MOSAIC_GATEWAY_KEY to the bearer key clients must send\n\n${USAGE}`); return 2; }
  let api;
  try { api = await connect(o.url); } catch (e) { console.error(`error: ${e.message}`); return 1; }
  const genesis = api.genesisHash.toHex();
  let inFlight = 0;
  const app = Fastify({ logger: { level: process.env.MOSAIC_GATEWAY_LOG ?? 'info' }, bodyLimit: 1 << 20 });
  const pool = o.sessions
    ? new SessionPool(api, payer, { url: o.url, requests: o.sessionRequests, lifetime: o.sessionLifetime, maxTokens: o.maxTokens, perModel: o.perModel, log: app.log })
    : null;
  if (pool) await pool.start();
  // Connections to the public endpoints providers declare on chain, opened once per URL.
  const endpoints = new Map();

  /**
   * The node to stream a job of `provider` from: the endpoint it declared
   * (`providers.setEndpoint`), or the node at --url when it declared none or cannot be reached.
   */
  async function streamNode(provider, log) {
    const declared = (await api.query.providers.endpoints(provider)).unwrapOr(null);
    if (!declared) return { node: api, from: o.url };
    const url = u8aToString(declared.toU8a(true));
    if (!endpoints.has(url)) {
      endpoints.set(url, connect(url, 10_000, 3_000).catch((e) => { endpoints.delete(url); throw e; }));
    }
    try {
      return { node: await endpoints.get(url), from: url };
    } catch (e) {
      log.warn({ provider, url, err: e.message }, 'the provider\'s endpoint is unreachable; streaming from --url');
      return { node: api, from: o.url };
    }
  }

  app.addHook('onRequest', async (req) => {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${key}`) throw new ApiError(401, auth ? 'the API key is not this gateway\'s' : 'send the gateway\'s key: Authorization: Bearer <key>', { code: 'invalid_api_key' });
  });
  app.setErrorHandler((e, req, reply) => {
    const err = e instanceof ApiError ? e
      : e.validation || e.statusCode === 400 ? new ApiError(400, e.message)
        : e.statusCode === 415 ? new ApiError(400, 'send a JSON body (Content-Type: application/json)')
          : new ApiError(e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500, e.message, { type: 'api_error' });
    if (err.status >= 500) req.log.error({ err: e }, 'request failed');
    reply.code(err.status).send(err.body());
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(new ApiError(404, `no route ${req.method} ${req.url}`).body()));

  /** The registered models that an eligible provider serves now, with their asks. */
  async function listModels() {
    const models = (await allModels(api)).filter((m) => !m.deprecated);
    const entries = await Promise.all(models.map(async (m) => {
      const providers = await allProviders(api, m.id);
      return { m, asks: providers.filter((p) => p.eligible).map((p) => p.ask) };
    }));
    return entries.filter(({ asks }) => asks.length > 0);
  }

  app.get('/v1/models', async () => ({ object: 'list', data: (await listModels()).map(({ m, asks }) => modelEntry(m, asks)) }));

  /**
   * A server-sent-event stream in OpenAI's framing (`data: <JSON>`, no event names or ids,
   * `data: [DONE]` last): `send(data)` queues an event (dropped once the client is gone),
   * `end()` sends [DONE] and closes.
   */
  function sseStream(req, reply, headers) {
    reply.hijack();
    let gone = false;
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) gone = true; });
    const ready = createSession(req.raw, reply.raw, {
      serializer: (d) => (typeof d === 'string' ? d : JSON.stringify(d)),
      retry: null,
      keepAlive: 15_000,
      headers,
    });
    let sent = ready.then(() => {});
    return {
      get gone() { return gone; },
      send(data) {
        sent = sent.then(async () => { if (!gone) (await ready).batch((b) => { b.data(data).dispatch(); }); });
        return sent;
      },
      async end() {
        await this.send('[DONE]');
        reply.raw.end();
      },
    };
  }

  // What `viaSession` answers when the request should go elsewhere: another session, or a job.
  const AGAIN = Symbol('another session');
  const AS_JOB = Symbol('a one-shot job');

  /** The `mosaic` field of a session request's answer: its receipt, in a job's terms. */
  const sessionMosaic = (client, r) => ({
    session: client.id.toString(),
    request: r.seq,
    receipt: { paid: r.cost, tokens: r.tokens },
    attestation: { provider: client.provider, signer: r.operator, signature: r.signature, requestHash: r.request, outputHash: r.output, tokens: r.tokens, log: r.log },
  });

  /**
   * Serves `job` on the pool's session `entry`: streamed as the provider decodes, answered once
   * its receipt is checked. A refusal before any output sends the request on (AGAIN, AS_JOB);
   * a failure after output ends the stream with an error event.
   */
  async function viaSession(req, reply, chat, job, model, entry, release) {
    const { client } = entry;
    const sid = client.id.toString();
    const meta = { chat, id: `mosaic-session-${sid}-${client.served + 1}`, model: job.model, created: Math.floor(Date.now() / 1000) };
    const decoder = new TextDecoder();
    let stream = null; // opened at the first output, so that a refusal can still be an HTTP error
    let output = false;
    let first = true;
    const open = () => {
      stream ??= sseStream(req, reply, { 'x-mosaic-session': sid });
      return stream;
    };
    const ask = () => client.request(job.request, job.maxTokens, {
      onOutput: (bytes) => {
        output = true;
        if (!job.stream) return;
        const text = decoder.decode(bytes, { stream: true });
        if (text) { open().send(chunk({ ...meta, text, first })); first = false; }
      },
    });
    let done;
    try {
      for (let tries = 1; ; tries += 1) {
        try {
          done = await ask();
          break;
        } catch (e) {
          // A session just opened that the provider's node has not imported yet: a moment.
          if (e.code !== SESSION_ERRORS.SESSION_NOT_FOUND || client.served > 0 || tries >= 20) throw e;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    } catch (e) {
      const code = e.code ?? null;
      if (!output && e.failed === undefined) {
        if (code === SESSION_ERRORS.OVER_LIMITS) {
          pool.release(model.id, entry);
          return AS_JOB;
        }
        if (code === SESSION_ERRORS.ENGINE_BUSY) {
          pool.release(model.id, entry);
          throw new ApiError(429, `the provider serving this gateway's session is at capacity: ${e.message}`, { code: 'rate_limit_exceeded' });
        }
        if (code === SESSION_ERRORS.ENGINE_FAILED) {
          // Its engine cannot run this model (a missing or refused file): jobs go elsewhere.
          pool.release(model.id, entry, { broken: true });
          pool.useJobs(model.id, `session ${sid}: ${e.message}`);
          return AS_JOB;
        }
        // Closed, unknown, a voucher it will not take, or its node unreachable: retire it.
        req.log.warn({ session: sid, code, err: e.message }, 'the session cannot serve; trying another');
        pool.release(model.id, entry, { broken: true });
        return AGAIN;
      }
      if (!output) {
        // The engine failed before any output (nothing owed): the chain's path answers it, and
        // a provider whose engine cannot run the model at all is left to jobs for a while.
        const cannot = ['model_missing', 'model_rejected'].includes(e.failed);
        pool.release(model.id, entry, { broken: cannot });
        if (cannot) pool.useJobs(model.id, `session ${sid}: ${e.message}`);
        return AS_JOB;
      }
      // The engine failed after output came (nothing owed), or the receipt did not check out
      // (retired: the provider and this client no longer agree).
      pool.release(model.id, entry, { broken: e.failed === undefined });
      const err = new ApiError(502, `session ${sid}: ${e.message}`, { type: 'api_error', code: e.failed === undefined ? 'receipt_invalid' : 'engine_failed' });
      req.log.error({ session: sid, err: e.message }, 'session request failed');
      if (!job.stream || !stream) { release(); throw err; }
      stream.send(err.body());
      release();
      await stream.end();
      return undefined;
    }
    pool.release(model.id, entry);
    release();
    const r = done.receipt;
    const mosaic = sessionMosaic(client, r);
    req.log.info({ session: sid, request: r.seq, tokens: r.tokens, cost: r.cost, firstChunkMs: done.firstChunkMs }, 'session request served');
    if (!job.stream) {
      reply.header('x-mosaic-session', sid);
      reply.header('x-mosaic-output-hash', r.output);
      reply.header('x-mosaic-paid', r.cost);
      reply.header('x-mosaic-provider', client.provider);
      return completion({ ...meta, text: done.text, tokens: r.tokens, maxTokens: job.maxTokens, mosaic });
    }
    const s = open();
    const tail = decoder.decode();
    if (tail) s.send(chunk({ ...meta, text: tail, first }));
    s.send(chunk({ ...meta, finish: r.tokens >= job.maxTokens ? 'length' : 'stop', tokens: r.tokens, mosaic }));
    await s.end();
    return undefined;
  }

  async function serve(req, reply, chat) {
    if (inFlight >= o.concurrency) throw new ApiError(429, `the gateway serves ${o.concurrency} requests at once; try again shortly`, { code: 'rate_limit_exceeded' });
    inFlight += 1;
    let released = false;
    const release = () => { if (!released) { released = true; inFlight -= 1; } };
    try {
      // Resolves once the answer is complete (streamed or not) or has failed.
      return await complete(req, reply, chat, release);
    } finally {
      release();
    }
  }

  async function complete(req, reply, chat, release) {
    const job = jobFromBody(req.body, { chat, defaultMaxTokens: o.maxTokens });
    const models = await allModels(api);
    const model = models.find((m) => Buffer.from(m.name.slice(2), 'hex').toString('utf8') === job.model || String(m.id) === job.model);
    if (!model) throw new ApiError(404, `the model ${JSON.stringify(job.model)} does not exist (see /v1/models)`, { code: 'model_not_found', param: 'model' });
    if (chat && model.chatTemplate === null) throw new ApiError(400, `${job.model} has no chat template: use /v1/completions with a prompt`, { param: 'messages' });
    for (let attempt = 0; pool && attempt < 3; attempt += 1) {
      const entry = await pool.acquire(model, job.maxTokens);
      if (!entry) break;
      const answered = await viaSession(req, reply, chat, job, model, entry, release);
      if (answered === AS_JOB) break;
      if (answered !== AGAIN) return answered;
    }
    let estimate;
    try { estimate = (await api.rpc.mosaic.estimate(model.id, job.maxTokens)).toJSON(); } catch (e) { throw fromRpc(e); }
    const { data: balance } = await api.query.system.account(payer.address);
    const holds = BigInt(estimate.escrow) + BigInt(estimate.deposit);
    if (balance.free.toBigInt() < holds) {
      throw new ApiError(402, `the gateway's account has ${fmt(balance.free.toBigInt())} free; this job holds up to ${fmt(holds)} (escrow and state deposit)`, { code: 'insufficient_funds' });
    }
    let tx;
    try { tx = jobTx(api, { model: model.id, maxTokens: job.maxTokens, bid: BigInt(estimate.bid), ...job.request }); } catch (e) { throw new ApiError(400, e.message); }
    let included;
    try { included = await sendAndInclude(api, tx, payer); } catch (e) { throw fromDispatch(e); }
    const submitted = included.events.find(({ event }) => api.events.jobs.JobSubmitted.is(event));
    if (!submitted) throw new ApiError(502, 'the job was not submitted', { type: 'api_error' });
    const jobId = submitted.event.data.job.toBigInt();
    const number = (await api.rpc.chain.getHeader(included.blockHash)).number.toNumber();
    const meta = { chat, id: `mosaic-${jobId}`, model: job.model, created: Math.floor(Date.now() / 1000) };
    req.log.info({ job: jobId.toString(), model: model.id, stream: job.stream }, 'job submitted');
    reply.header('x-mosaic-job', jobId.toString());

    // The chain's verdict: settled (with the attested answer) or refunded.
    let clientGone = false;
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) {
        clientGone = true;
        req.log.warn({ job: jobId.toString() }, 'client went away; the job settles or refunds on chain as usual');
      }
    });
    const verdict = followJob(api, jobId, number).then(async ({ end, events }) => {
      if (clientGone) req.log.warn({ job: jobId.toString(), end: end.name }, 'job ended without its client');
      if (end.name !== 'JobSettled') return { end, events };
      const answered = events.find((e) => e.name === 'ResultSubmitted' && e.data.outputHash.toHex() === end.data.outputHash.toHex());
      const provider = answered.data.provider.toString();
      // The answer as stored while the job was in its challenge window (it leaves state when
      // the job closes): output, the operator key that signed it, and the signature.
      const result = (await (await api.at(answered.blockHash)).query.jobs.results(jobId, provider)).unwrap();
      const output = result.output.toU8a(true);
      const jobInfo = (await api.query.jobs.jobs(jobId)).unwrap();
      const r = end.data.receipt;
      return {
        end,
        output,
        tokens: answered.data.tokens.toNumber(),
        mosaic: {
          job: jobId.toString(),
          block: end.blockHash.toHex(),
          receipt: { paid: r.paid.toString(), royalty: r.royalty.toString(), protocolFee: r.protocolFee.toString(), providers: r.providers.toString(), refund: r.refund.toString() },
          attestation: {
            provider,
            signer: result.signer.toString(),
            signature: result.signature.toHex(),
            requestHash: jobInfo.requestHash.toHex(),
            outputHash: end.data.outputHash.toHex(),
            engine: jobInfo.engine.toHex(),
            tokens: answered.data.tokens.toNumber(),
          },
        },
      };
    });
    // Awaited below, after the stream is set up: until then a rejection has nobody to take it
    // and would end the gateway (an unhandled rejection), so it is marked handled here.
    verdict.catch(() => {});
    const failed = (v) => {
      const refund = v.end.data.amount ? `; ${fmt(v.end.data.amount.toBigInt())} refunded on chain` : '';
      const declined = v.events.filter((e) => e.name === 'ProviderDeclined').map((e) => e.data.reason.toString());
      const why = declined.length ? `its provider(s) declined it (${declined.join(', ')}) and no other could take it` : 'no provider answered before its deadline';
      return new ApiError(504, `job ${jobId} ended without an answer: ${why}${refund}`, { code: 'deadline_passed' });
    };

    if (!job.stream) {
      const v = await verdict;
      release();
      if (!v.output) throw failed(v);
      reply.header('x-mosaic-output-hash', v.mosaic.attestation.outputHash);
      reply.header('x-mosaic-paid', v.mosaic.receipt.paid);
      reply.header('x-mosaic-refund', v.mosaic.receipt.refund);
      reply.header('x-mosaic-provider', v.mosaic.attestation.provider);
      return completion({ ...meta, text: new TextDecoder().decode(v.output), tokens: v.tokens, maxTokens: job.maxTokens, mosaic: v.mosaic });
    }

    // Streaming: the provider's node sends the output as it decodes; the chain's verdict ends it.
    const sse = sseStream(req, reply, { 'x-mosaic-job': jobId.toString() });
    const send = (data) => sse.send(data);
    const decoder = new TextDecoder();
    const streamed = [];
    let received = 0;
    let first = true;
    const signature = u8aToHex(payer.sign(streamSigningBytes(jobId, genesis)));
    let unsubscribe = () => {};
    try {
      const assigned = included.events.find(({ event }) => api.events.jobs.ProviderAssigned.is(event));
      const { node, from } = assigned ? await streamNode(assigned.event.data.provider.toString(), req.log) : { node: api, from: o.url };
      req.log.info({ job: jobId.toString(), from }, 'streaming the job');
      unsubscribe = await node.rpc.mosaic.streamJob(jobId, signature, (json) => {
        const ev = json.toJSON();
        // `at` is the event's offset in the output: anything else than the next bytes is a
        // gap or a repeat, and the check against the attestation below catches it.
        if (ev?.event !== 'output' || ev.at !== received) return;
        const bytes = hexToU8a(ev.bytes);
        streamed.push(bytes);
        received += bytes.length;
        const text = decoder.decode(bytes, { stream: true });
        if (text) { send(chunk({ ...meta, text, first })); first = false; }
      });
    } catch (e) {
      req.log.warn({ job: jobId.toString(), err: e.message }, 'no stream from the node; the answer comes from the chain');
    }
    const v = await verdict;
    try { unsubscribe(); } catch { /* already ended */ }
    if (v.output) {
      const got = u8aConcat(...streamed);
      if (streamed.length === 0 || blake2AsHex(got, 256) !== v.mosaic.attestation.outputHash) {
        if (streamed.length > 0) req.log.error({ job: jobId.toString() }, 'the stream differs from the attested output');
        // Whatever was not streamed (or streamed wrong) comes from the chain, marked.
        const rest = got.length <= v.output.length && u8aToHex(v.output.subarray(0, got.length)) === u8aToHex(got) ? v.output.subarray(got.length) : null;
        if (rest === null) {
          send({ error: { message: `the provider's stream of job ${jobId} differs from its attested output ${v.mosaic.attestation.outputHash}`, type: 'api_error', code: 'stream_mismatch' } });
        } else if (rest.length) {
          send(chunk({ ...meta, text: decoder.decode(rest), first }));
        }
      } else {
        const tail = decoder.decode();
        if (tail) send(chunk({ ...meta, text: tail, first }));
      }
      send(chunk({ ...meta, finish: v.tokens >= job.maxTokens ? 'length' : 'stop', tokens: v.tokens, mosaic: v.mosaic }));
    } else {
      send(failed(v).body());
    }
    release();
    await sse.end();
  }

  app.post('/v1/chat/completions', (req, reply) => serve(req, reply, true));
  app.post('/v1/completions', (req, reply) => serve(req, reply, false));

  const shutdown = async () => {
    await app.close();
    await pool?.stop();
    for (const remote of endpoints.values()) await remote.then((r) => r.disconnect(), () => {});
    await api.disconnect();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await app.listen({ host: o.host, port: o.port });
  console.log(`gateway on http://${o.host}:${o.port}/v1 (node ${o.url}, paying from ${payer.address})`);
  return null;
}

const code = await main();
if (code !== null) process.exit(code);
