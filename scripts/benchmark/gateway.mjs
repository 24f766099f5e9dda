// Gateway benchmark (figures, no assertions): N streamed chat completions, one after another,
// through a running gateway (MOSAIC_GATEWAY_URL, MOSAIC_GATEWAY_KEY) on a dev chain: time to
// the first content chunk, to the last content chunk and to [DONE] (the chain's finalised
// verdict), p50 and p95, and the streamed tokens/s after the first chunk; beside them the raw
// engine figures of the same request (`mosaic-node infer --chat`, MOSAIC_NODE, model file
// MOSAIC_BENCH_MODEL).
//
//   node scripts/benchmark/gateway.mjs [N=20] [max_tokens=128]
import { runProgram } from '../lib/process.mjs';

const N = Number(process.argv[2] ?? 20);
const MAX = Number(process.argv[3] ?? 128);
const URL = process.env.MOSAIC_GATEWAY_URL ?? 'http://127.0.0.1:8080/v1';
const KEY = process.env.MOSAIC_GATEWAY_KEY;
const MODEL = process.env.MOSAIC_BENCH_MODEL_NAME ?? 'SmolLM2-135M-Instruct-Q4_1';
const QUESTION = 'Write a short story about a lighthouse keeper.';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function one() {
  const t0 = performance.now();
  const res = await fetch(`${URL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, stream: true, max_tokens: MAX, messages: [{ role: 'user', content: QUESTION }] }),
  });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
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
  return { first, last, done: performance.now() - t0, chunks, tokens };
}

const runs = [];
for (let i = 0; i < N; i += 1) {
  const r = await one();
  runs.push(r);
  console.log(`#${i + 1}: first chunk ${(r.first / 1e3).toFixed(2)} s, last ${(r.last / 1e3).toFixed(2)} s, [DONE] ${(r.done / 1e3).toFixed(2)} s, ${r.tokens} tokens in ${r.chunks} chunks`);
}
const col = (k) => runs.map((r) => r[k] / 1e3);
const streamed = runs.filter((r) => r.chunks > 1 && r.last > r.first).map((r) => (r.tokens - 1) / ((r.last - r.first) / 1e3));
console.log(`\nthrough the gateway (${N} requests, max_tokens ${MAX}):`);
for (const [name, k] of [['first chunk', 'first'], ['last chunk', 'last'], ['[DONE]', 'done']]) {
  console.log(`  ${name.padEnd(12)} p50 ${pct(col(k), 50).toFixed(2)} s  p95 ${pct(col(k), 95).toFixed(2)} s`);
}
if (streamed.length) console.log(`  streamed tokens/s after the first chunk: p50 ${pct(streamed, 50).toFixed(1)} (${streamed.length} of ${N} runs streamed in more than one chunk)`);
if (process.env.MOSAIC_NODE && process.env.MOSAIC_BENCH_MODEL) {
  const r = await runProgram(process.env.MOSAIC_NODE, ['infer', '--model', process.env.MOSAIC_BENCH_MODEL, '--chat', '--prompt', QUESTION, '--max-tokens', String(MAX)]);
  const j = JSON.parse(r.stdout);
  console.log(`raw engine, same request: ${j.tokens} tokens, first token after ${j.time_to_first_token_ms.toFixed(1)} ms, ${j.tokens_per_second.toFixed(1)} tokens/s`);
}
