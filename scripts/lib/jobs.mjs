// Jobs from polkadot.js: build a request, submit it, follow it to its end, read its answer.
// Units are in units.mjs; what only tests need (oracles, adversaries) in testing.mjs.
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { sendAndFinalize } from './chain.mjs';

/** The fee paid by the signer of a finalised extrinsic, from its TransactionFeePaid event. */
export function feeOf(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  return paid ? paid.event.data.actualFee.toBigInt() + paid.event.data.tip.toBigInt() : 0n;
}

/** The roles a chat message may have. */
export const ROLES = ['system', 'user', 'assistant'];

/**
 * A `JobRequest` for polkadot.js: `{ prompt }` (raw) or `{ messages: [{ role, content }] }`
 * (chat), with sampling as LLM users write it: `temperature` (0–2, 0 greedy), `topP` (0–1],
 * `topK` (0 off), `seed`, `stop` (strings). The chain checks the bounds (typed errors); this
 * throws only for what cannot even be encoded: an unknown role, a non-number.
 */
export function jobRequest({ prompt, messages, temperature = 0, topP = 1, topK = 0, seed = 0, stop = [] }) {
  const number = (v, what) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a number ≥ 0, not ${JSON.stringify(v)}`);
    return n;
  };
  const fixed = (v, scale, what) => Math.min(65_535, Math.round(number(v, what) * scale));
  let input;
  if (messages !== undefined) {
    input = {
      Chat: messages.map(({ role, content }) => {
        if (!ROLES.includes(role)) throw new Error(`unknown role ${JSON.stringify(role)}: a message's role is one of ${ROLES.join(', ')}`);
        return { role: role[0].toUpperCase() + role.slice(1), content: String(content) };
      }),
    };
  } else {
    input = { Text: prompt };
  }
  return {
    input,
    sampling: {
      temperature: fixed(temperature, 100, 'temperature'),
      topP: fixed(topP, 10_000, 'top_p'),
      topK: Math.min(2 ** 32 - 1, Math.round(number(topK, 'top_k'))),
      seed: Math.min(2 ** 32 - 1, Math.round(number(seed, 'seed'))),
      stop: stop.map(String),
    },
  };
}

/** The extrinsic for a job: `submitJob` for a raw greedy prompt, else `submitRequest`. */
export function jobTx(api, { model, maxTokens, bid, ...request }) {
  const { prompt, messages, ...sampling } = request;
  const plain = messages === undefined && Object.values(sampling).every((v) => v === undefined);
  if (plain) return api.tx.jobs.submitJob(model, prompt, maxTokens, bid);
  const defined = Object.fromEntries(Object.entries(sampling).filter(([, v]) => v !== undefined));
  return api.tx.jobs.submitRequest(model, jobRequest({ prompt, messages, ...defined }), maxTokens, bid);
}

/**
 * Submits a job signed by `signer` and waits for its block to be finalised: `{ prompt }` or
 * `{ messages }`, and optional sampling (see `jobRequest`). Resolves with
 * `{ job, escrow, deposit, fee, blockHash, blockNumber, assigned }`.
 */
export async function submitJob(api, signer, job) {
  const tx = jobTx(api, job);
  const { blockHash, events } = await sendAndFinalize(api, tx, signer);
  const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event));
  if (!submitted) throw new Error('no JobSubmitted event');
  const header = await api.rpc.chain.getHeader(blockHash);
  return {
    job: submitted.event.data.job.toBigInt(),
    escrow: submitted.event.data.escrow.toBigInt(),
    deposit: submitted.event.data.deposit.toBigInt(),
    fee: feeOf(api, events),
    blockHash,
    blockNumber: header.number.toNumber(),
    parentHash: header.parentHash,
    assigned: events
      .filter(({ event }) => api.events.jobs.ProviderAssigned.is(event))
      .map(({ event }) => ({ provider: event.data.provider.toString(), price: event.data.price.toBigInt() })),
  };
}

const END = new Set(['JobSettled', 'JobRefunded']);

/**
 * Follows finalised blocks from `fromBlock` until `job` ends (settled or refunded).
 * Resolves with `{ end, endHash, events }`: every jobs event of this job, in order, as
 * `{ name, data, blockHash }`. `onEvent` sees each as it is found (for progress output).
 */
export function followJob(api, job, fromBlock, { timeoutMs = 300_000, onEvent = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    let next = fromBlock;
    let chain = Promise.resolve();
    const found = [];
    const timer = setTimeout(() => { unsub(); reject(new Error(`job ${job} did not end within ${timeoutMs} ms`)); }, timeoutMs);
    const scan = async (head) => {
      while (next <= head) {
        const hash = await api.rpc.chain.getBlockHash(next);
        const events = await (await api.at(hash)).query.system.events();
        for (const { event } of events) {
          if (event.section !== 'jobs' || event.data.job?.toBigInt() !== job) continue;
          const record = { name: event.method, data: event.data, blockHash: hash };
          found.push(record);
          onEvent(record);
          if (END.has(event.method)) {
            clearTimeout(timer);
            unsub();
            resolve({ end: record, endHash: hash, events: found });
            return;
          }
        }
        next += 1;
      }
    };
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      chain = chain.then(() => scan(header.number.toNumber())).catch((e) => { clearTimeout(timer); unsub(); reject(e); });
    }).then((u) => { unsub = u; }, reject);
  });
}

/**
 * The output of the job's executor, as bytes (`null` without an answer), through the node's
 * `mosaic_job`: from state while the job is open, from the block that carried the answer once
 * it has closed (the chain then keeps only its hash). `at`: a block hash to read at.
 */
export async function outputOf(api, jobId, at) {
  const view = (await (at ? api.rpc.mosaic.job(jobId, at) : api.rpc.mosaic.job(jobId))).toJSON();
  const answer = standingAnswer(view);
  return answer ? hexToU8a(answer.output) : null;
}

/** In a `mosaic_job` view (JSON), the assignment whose answer the job records, or undefined. */
export function standingAnswer(view) {
  return view.outcome ? view.assignments.find((a) => a.state.answered?.outputHash === view.outcome[0]) : undefined;
}

export const toHex = (bytes) => u8aToHex(bytes);
