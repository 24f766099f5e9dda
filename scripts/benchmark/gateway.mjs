// Gateway benchmark (figures, no assertions): N streamed chat completions, one after another,
// through the gateway on a dev chain, over a session and over one-shot jobs, side by side in
// one run: time to the first content chunk, to the last and to [DONE], p50 and p95, and the
// streamed tokens/s after the first chunk; beside them the raw engine figures of the same
// request (`mosaic-node infer --chat`, MOSAIC_NODE, model file MOSAIC_BENCH_MODEL).
//
// It starts two gateways on the node at MOSAIC_WS (one with sessions, one with
// `--no-sessions`), paying from //Dave, and sends one request to each first (for the session,
// the one that opens it: its time is printed apart). With MOSAIC_GATEWAY_URL and
// MOSAIC_GATEWAY_KEY it measures that running gateway alone instead.
//
//   node scripts/benchmark/gateway.mjs [N=20] [max_tokens=128]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../lib/process.mjs';

const N = Number(process.argv[2] ?? 20);
const MAX = Number(process.argv[3] ?? 128);
const MODEL = process.env.MOSAIC_BENCH_MODEL_NAME ?? 'SmolLM2-135M-Instruct-Q4_1';
const QUESTION = 'Write a short story about a lighthouse keeper.';
const GATEWAY = fileURLToPath(new URL('../gateway.mjs', import.meta.url));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function one(url, key) {
  const t0 = performance.now();
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream: true, max_tokens: MAX, messages: [{ role: 'user', content: QUESTION }] }),
  });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  const path = res.headers.get('x-mosaic-session') ? `session ${res.headers.get('x-mosaic-session')}` : `job ${res.headers.get('x-mosaic-job')}`;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let first = null;
  let last = null;
  let chunks = 0;
  let tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!data || data === '[DONE]') continue;
      const j = JSON.parse(data);
      if (j.error) throw new Error(j.error.message);
      if (j.choices?.[0]?.delta?.content) {
        const now = performance.now() - t0;
        first ??= now;
        last = now;
        chunks += 1;
      }
      if (j.usage) tokens = j.usage.completion_tokens;
    }
  }
  return { first, last, done: performance.now() - t0, chunks, tokens, path };
}

/** Starts a gateway on `port`; resolves with its URL and a stop function once it answers. */
async function startGateway(port, key, flags) {
  const child = spawn(process.execPath, [GATEWAY, '--port', String(port), ...flags], {
    env: { ...process.env, MOSAIC_SURI: '//Dave', MOSAIC_GATEWAY_KEY: key, MOSAIC_GATEWAY_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); });
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } })).ok) return { url, stop };
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`the gateway exited: ${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the gateway did not answer: ${log}`);
}

/** N measured requests through `url`, after one unmeasured; prints each and the summary. */
async function measure(name, url, key) {
  const warm = await one(url, key);
  console.log(`${name}: first request (${warm.path}) ${(warm.done / 1e3).toFixed(2)} s, not counted`);
  const runs = [];
  for (let i = 0; i < N; i += 1) {
    const r = await one(url, key);
    runs.push(r);
    console.log(`  #${i + 1} (${r.path}): first chunk ${(r.first / 1e3).toFixed(2)} s, last ${(r.last / 1e3).toFixed(2)} s, [DONE] ${(r.done / 1e3).toFixed(2)} s, ${r.tokens} tokens in ${r.chunks} chunks`);
  }
  return runs;
}

function summary(name, runs) {
  const col = (k) => runs.map((r) => r[k] / 1e3);
  const streamed = runs.filter((r) => r.chunks > 1 && r.last > r.first).map((r) => (r.tokens - 1) / ((r.last - r.first) / 1e3));
  console.log(`\n${name} (${runs.length} requests, max_tokens ${MAX}):`);
  for (const [label, k] of [['first chunk', 'first'], ['last chunk', 'last'], ['[DONE]', 'done']]) {
    console.log(`  ${label.padEnd(12)} p50 ${pct(col(k), 50).toFixed(3)} s  p95 ${pct(col(k), 95).toFixed(3)} s`);
  }
  if (streamed.length) console.log(`  streamed tokens/s after the first chunk: p50 ${pct(streamed, 50).toFixed(1)} (${streamed.length} of ${runs.length} runs streamed in more than one chunk)`);
}

const results = [];
if (process.env.MOSAIC_GATEWAY_URL) {
  results.push(['through the gateway', await measure('gateway', process.env.MOSAIC_GATEWAY_URL, process.env.MOSAIC_GATEWAY_KEY)]);
} else {
  const key = `bench-${process.pid}`;
  for (const [name, port, flags] of [['over a session', 18190, []], ['over one-shot jobs', 18191, ['--no-sessions']]]) {
    const gw = await startGateway(port, key, flags);
    try {
      results.push([name, await measure(name, gw.url, key)]);
    } finally {
      await gw.stop();
    }
  }
}
for (const [name, runs] of results) summary(name, runs);
if (process.env.MOSAIC_NODE && process.env.MOSAIC_BENCH_MODEL) {
  const r = await runProgram(process.env.MOSAIC_NODE, ['infer', '--model', process.env.MOSAIC_BENCH_MODEL, '--chat', '--prompt', QUESTION, '--max-tokens', String(MAX)]);
  const j = JSON.parse(r.stdout);
  console.log(`\nraw engine, same request: ${j.tokens} tokens, first token after ${j.time_to_first_token_ms.toFixed(1)} ms, ${j.tokens_per_second.toFixed(1)} tokens/s`);
}
