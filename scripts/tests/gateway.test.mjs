// The OpenAI-compatible gateway (scripts/gateway.mjs) against the dev node of scripts/test.sh:
// the official `openai` Python package (scripts/tests/gateway_openai.py) drives models, chat,
// streaming, sampling and every error code, over sessions and over one-shot jobs; curl checks
// the raw SSE framing; a gateway whose account cannot pay answers 402, one at its concurrency
// limit 429; a gateway's session serves many requests with no transaction each, survives a
// client that hangs up, and is closed on shutdown and settled.
import { u8aToString } from '@polkadot/util';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, devAccount, sendAndFinalize, DEFAULT_WS, undo } from '../lib/chain.mjs';
import { runProgram } from '../lib/process.mjs';
import { jobHolds, rawSpec } from '../lib/testing.mjs';

const GATEWAY = fileURLToPath(new URL('../gateway.mjs', import.meta.url));
const PYTHON_TEST = fileURLToPath(new URL('./gateway_openai.py', import.meta.url));
const REAL = existsSync(join(process.env.MOSAIC_MODELS ?? '', 'SmolLM2-135M-Instruct.Q4_1.gguf'));
const MODEL = REAL ? 'SmolLM2-135M-Instruct-Q4_1' : 'mosaic-tiny-llama-q8_0';
const KEY = 'gateway-test-key';
const alice = devAccount('//Alice');
const dave = devAccount('//Dave');

let api;
const gateways = [];

/** Starts a gateway on `port` paying from `suri`; resolves once it answers. */
async function startGateway(port, suri, extra = [], level = 'warn') {
  const child = spawn(process.execPath, [GATEWAY, '--url', DEFAULT_WS, '--port', String(port), ...extra], {
    env: { ...process.env, MOSAIC_SURI: suri, MOSAIC_GATEWAY_KEY: KEY, MOSAIC_GATEWAY_LOG: level },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  gateways.push(child);
  const url = `http://127.0.0.1:${port}/v1`;
  for (let i = 0; i < 120; i += 1) {
    try {
      const res = await fetch(`${url}/models`, { headers: { authorization: `Bearer ${KEY}` } });
      if (res.ok) return { url, log: () => log };
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`the gateway exited: ${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the gateway did not answer: ${log}`);
}

/** Registers a model no node has (by Dave); `served`: Alice declares she serves it. */
async function registerModel(name, served) {
  const hash = blake2AsHex(`${name} ${Date.now()}`, 256);
  const { events } = await sendAndFinalize(api, api.tx.models.registerModel(name, hash, 1_000_000, rawSpec(2048), 0), dave);
  const model = events.find(({ event }) => api.events.models.ModelRegistered.is(event)).event.data.model.toNumber();
  if (served) await sendAndFinalize(api, api.tx.providers.serveModel(model, { contextLength: 2048, maxOutputTokens: 1024, tokensPerSecond: 20 }), alice);
  return model;
}

before(async () => { api = await connect(); });
after(async () => {
  for (const g of gateways) g.kill();
  await api?.disconnect();
});

test('the openai Python client works against the gateway, over sessions and over jobs, streaming included, with every error code', async () => {
  const nobody = await registerModel('gw-no-provider', false);
  const unanswered = await registerModel('gw-unanswered', true);
  let url;
  try {
    for (const [port, flags, path] of [[18080, [], 'sessions'], [18085, ['--no-sessions'], 'jobs']]) {
      const gw = await startGateway(port, '//Ferdie', flags, 'info');
      const log = gw.log;
      if (path === 'sessions') url = gw.url;
      const python = process.env.MOSAIC_PYTHON;
      const r = await runProgram(python, [PYTHON_TEST], {
        env: {
          ...process.env,
          MOSAIC_GATEWAY_URL: gw.url,
          MOSAIC_GATEWAY_KEY: KEY,
          MOSAIC_CHAT_MODEL: MODEL,
          MOSAIC_REAL: REAL ? '1' : '0',
          MOSAIC_NO_PROVIDER_MODEL: String(nobody),
          MOSAIC_UNANSWERED_MODEL: String(unanswered),
          MOSAIC_PATH: path,
        },
        timeout: 600_000,
      });
      console.log(`over ${path}:\n${r.stdout}`);
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}\ngateway log:\n${log()}`);
      if (path === 'sessions') {
        assert.match(log(), /"msg":"session request served"/);
        // The model whose provider cannot run it went to jobs (and got its 504 there).
        assert.match(log(), new RegExp(`"model":${unanswered},"why":"session \\d+: [^"]*model_missing`));
      } else {
        assert.doesNotMatch(log(), /session opened/);
      }
    }
  } finally {
    await undo('Alice stops serving the unanswered model', sendAndFinalize(api, api.tx.providers.stopServing(unanswered), alice));
  }

  // Raw SSE framing, as curl sees it.
  const curl = await runProgram('curl', ['-sN', '-H', `Authorization: Bearer ${KEY}`, '-H', 'Content-Type: application/json',
    '-d', JSON.stringify({ model: MODEL, stream: true, max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }),
    `${url}/chat/completions`], { timeout: 300_000 });
  const events = curl.stdout.split('\n\n').filter(Boolean);
  assert.ok(events.length >= 2, curl.stdout);
  const data = events.filter((e) => !e.startsWith(':')); // comments keep the connection alive
  for (const e of data) assert.match(e, /^data:/, `every event is data only: ${JSON.stringify(e)}`);
  assert.equal(data.at(-1).trim(), 'data:[DONE]');
  const last = JSON.parse(data.at(-2).replace(/^data:/, ''));
  assert.ok(last.usage.completion_tokens >= 1 && last.mosaic.session, JSON.stringify(last));
});

test('a gateway whose account cannot pay answers 402; one at its limit answers 429', async () => {
  const poor = await startGateway(18081, '//Nobody//poor');
  const res = await fetch(`${poor.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 }),
  });
  assert.equal(res.status, 402);
  assert.equal((await res.json()).error.code, 'insufficient_funds');

  const busy = await startGateway(18082, '//Ferdie', ['--concurrency', '1', '--no-sessions']);
  const ask = () => fetch(`${busy.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 }),
  });
  const [a, b] = await Promise.all([ask(), ask()]);
  assert.deepEqual([a.status, b.status].sort(), [200, 429]);
});

test('a client that goes away mid-stream loses nothing: the job settles on chain and the gateway logs it', async () => {
  const gw = await startGateway(18083, '//Ferdie', ['--no-sessions']);
  const ferdie = devAccount('//Ferdie');
  const abort = new AbortController();
  const res = await fetch(`${gw.url}/chat/completions`, {
    method: 'POST',
    signal: abort.signal,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'Tell me a story.' }] }),
  });
  assert.equal(res.status, 200);
  const job = BigInt(res.headers.get('x-mosaic-job'));
  const reader = res.body.getReader();
  await reader.read(); // the first bytes of the stream, then hang up
  abort.abort();
  let view;
  for (let i = 0; i < 120; i += 1) {
    view = (await api.rpc.mosaic.job(job)).toJSON();
    if (!['pending', 'challenge', 'auditing'].includes(view.state)) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  assert.equal(view.state, 'settled', JSON.stringify(view));
  assert.ok(BigInt(view.receipt.paid) > 0n && BigInt(view.receipt.refund) >= 0n);
  assert.equal((await api.query.jobs.jobs(job)).unwrap().escrow.toBigInt(), 0n, 'no escrow left');
  const { held, recorded } = await jobHolds(api, ferdie.address);
  assert.equal(held, recorded, 'nothing held beyond what the open jobs escrow and the stored ones deposit');
  for (let i = 0; i < 60 && !/job ended without its client/.test(gw.log()); i += 1) await new Promise((r) => setTimeout(r, 1_000));
  assert.match(gw.log(), /client went away; the job settles or refunds on chain as usual/);
  assert.match(gw.log(), /job ended without its client/);
});

test('the gateway streams from the endpoint the provider declared on chain, and falls back to --url', async () => {
  // The dev node under another name: what the provider declares, not what the gateway was given.
  const declared = DEFAULT_WS.replace('127.0.0.1', 'localhost');
  assert.notEqual(declared, DEFAULT_WS);
  const gw = await startGateway(18084, '//Ferdie', ['--no-sessions'], 'info');
  const ask = async (content) => {
    const res = await fetch(`${gw.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, stream: true, max_tokens: 16, messages: [{ role: 'user', content }] }),
    });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /data: ?\[DONE\]/);
    return { job: res.headers.get('x-mosaic-job'), body };
  };
  try {
    await sendAndFinalize(api, api.tx.providers.setEndpoint(declared), alice);
    assert.equal(u8aToString((await api.query.providers.endpoints(alice.address)).unwrap().toU8a(true)), declared);
    const a = await ask('Hello');
    assert.match(gw.log(), new RegExp(`"job":"${a.job}","from":"${declared}","msg":"streaming the job"`));
    assert.doesNotMatch(a.body, /stream_mismatch/);
    // A declared endpoint nobody answers at: the stream comes from --url instead.
    await sendAndFinalize(api, api.tx.providers.setEndpoint('ws://127.0.0.1:1'), alice);
    const b = await ask('Hello again');
    assert.match(gw.log(), /the provider's endpoint is unreachable; streaming from --url/);
    assert.match(gw.log(), new RegExp(`"job":"${b.job}","from":"${DEFAULT_WS}","msg":"streaming the job"`));
  } finally {
    await sendAndFinalize(api, api.tx.providers.setEndpoint(null), alice);
  }
  await assert.rejects(sendAndFinalize(api, api.tx.providers.setEndpoint('http://example.com'), alice), /providers.BadEndpoint/);
});

/** A chat completion through `url`: `{ res, body }`, streamed or not. */
async function chat(url, content, { stream = false, maxTokens = 8, signal } = {}) {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    signal,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream, max_tokens: maxTokens, messages: [{ role: 'user', content }] }),
  });
  return res;
}

/** The `mosaic` field of a streamed answer's last chunk. */
const streamedMosaic = (text) => JSON.parse(text.split('\n\n').filter((e) => e.startsWith('data:') && !e.includes('[DONE]')).at(-1).replace(/^data: ?/, '')).mosaic;

test("a gateway's session serves many requests without a transaction each, survives a client that hangs up, and is closed on shutdown and settled", async () => {
  const eve = devAccount('//Eve');
  const jobsBefore = (await api.query.jobs.nextJobId()).toBigInt();
  const gw = await startGateway(18086, '//Eve', [], 'info');
  const first = await chat(gw.url, 'Hello');
  assert.equal(first.status, 200, await first.clone().text());
  const session = first.headers.get('x-mosaic-session');
  assert.ok(session, 'answered on a session');
  const answer = await first.json();
  assert.equal(answer.mosaic.session, session);
  assert.equal(answer.mosaic.request, 1);
  assert.equal(answer.usage.completion_tokens, answer.mosaic.attestation.tokens);
  assert.equal(blake2AsHex(new TextEncoder().encode(answer.choices[0].message.content), 256), answer.mosaic.attestation.outputHash);

  // A client that hangs up after the first bytes: the request still completes and is recorded,
  // so the session goes on in step with its provider.
  const abort = new AbortController();
  const cut = await chat(gw.url, 'Tell me a story.', { stream: true, maxTokens: 64, signal: abort.signal });
  assert.equal(cut.headers.get('x-mosaic-session'), session);
  await cut.body.getReader().read();
  abort.abort();
  for (let i = 0; i < 60 && !/"request":2,.*"msg":"session request served"/.test(gw.log()); i += 1) await new Promise((r) => setTimeout(r, 500));

  const streamed = await chat(gw.url, 'Hello again', { stream: true });
  assert.equal(streamed.headers.get('x-mosaic-session'), session);
  const m = streamedMosaic(await streamed.text());
  assert.equal(m.session, session);
  assert.equal(m.request, 3, 'the third request of the session');
  assert.equal((await api.query.jobs.nextJobId()).toBigInt(), jobsBefore, 'no job was submitted');
  const record = (await api.query.sessions.sessions(BigInt(session))).unwrap();
  assert.ok(record.state.isOpen && record.owner.toString() === eve.address);

  // Shutdown closes the session on chain; once its window has passed it is settled (by the
  // provider's node, or by the next run of the gateway, whichever comes first).
  const child = gateways.at(-1);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  assert.match(gw.log(), /"msg":"session closed"/, gw.log());
  const closing = (await api.query.sessions.sessions(BigInt(session))).unwrap();
  assert.ok(closing.state.isClosing, closing.state.type);
  assert.equal(closing.voucher.unwrap().tokens.toNumber() >= m.attestation.tokens, true, 'closed on the latest voucher');
  const next = await startGateway(18087, '//Eve', [], 'info');
  for (let i = 0; i < 120 && (await api.query.sessions.sessions(BigInt(session))).isSome; i += 1) await new Promise((r) => setTimeout(r, 1_000));
  assert.ok((await api.query.sessions.sessions(BigInt(session))).isNone, `settled: ${next.log()}`);
  const holds = await api.query.balances.holds(eve.address);
  const forSessions = holds.filter((h) => /sessions/i.test(JSON.stringify(h.id.toJSON())));
  assert.deepEqual(forSessions.map((h) => h.amount.toBigInt()), [], 'nothing held for sessions once settled');
});
