// Jobs from polkadot.js: submit, follow to the end, check the split.
import { runProgram } from './process.mjs';
import { bnToU8a, compactAddLength, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, encodeAddress } from '@polkadot/util-crypto';
import { sendAndFinalize, sendAndInclude } from './chain.mjs';

export const MOS = 10n ** 12n;
export const fmt = (planck) => `${planck / MOS}.${(planck % MOS).toString().padStart(12, '0')} MOS`;

/** Parses an amount: planck (an integer) or MOS with its unit ("0.5MOS"); throws otherwise. */
export function parseAmount(s) {
  const text = String(s).trim();
  const m = /^(\d+)(?:\.(\d{1,12}))?\s*MOS$/i.exec(text);
  if (m) return BigInt(m[1]) * MOS + BigInt((m[2] ?? '').padEnd(12, '0'));
  if (/^\d+$/.test(text)) return BigInt(text);
  throw new Error(`not an amount: ${JSON.stringify(s)} (planck, or e.g. "0.5MOS")`);
}

/** The treasury's account: PalletId `mos/trsy` as FRAME derives it. */
export function treasuryAddress() {
  const raw = u8aConcat(stringToU8a('modl'), stringToU8a('mos/trsy'), new Uint8Array(20));
  return encodeAddress(raw, 42);
}

/** The fee paid by the signer of a finalised extrinsic, from its TransactionFeePaid event. */
export function feeOf(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  return paid ? paid.event.data.actualFee.toBigInt() + paid.event.data.tip.toBigInt() : 0n;
}

/** What `models.registerModel` takes for a llama file of `context` tokens with no chat template. */
export const rawSpec = (context) => ({ architecture: 'llama', parameters: 1_000_000, fileType: 'Q8_0', contextLength: context, chatTemplate: null });

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

/**
 * [`submitJob`] while the providers `aside` (accounts) step aside on chain, so that the job is
 * drawn among the others; they are back before this returns, also when the submission fails.
 * Their pauses are final before the job is sent (on a network, a replaced block could otherwise
 * put them after it); their return is only included, to keep the job's deadline for its answer.
 */
export async function submitJobAside(api, signer, job, aside) {
  for (const p of aside) await sendAndFinalize(api, api.tx.providers.pause(), p);
  try {
    return await submitJob(api, signer, job);
  } finally {
    for (const p of aside) await sendAndInclude(api, api.tx.providers.resume(), p);
  }
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
 * The shares of `job`'s protocol fee paid to its auditors in block `at` (where it settled):
 * `[{ to, amount }]`, empty for an answer nobody audited (its fee is the treasury's).
 */
export async function auditorShares(api, job, at) {
  const events = await (await api.at(at)).query.system.events();
  return events
    .filter(({ event }) => api.events.settlement.Paid.is(event) && event.data.job.toBigInt() === BigInt(job)
      && event.data.payee.isAuditor)
    .map(({ event }) => ({ to: event.data.to.toString(), amount: event.data.amount.toBigInt() }));
}

/** Free balances of `addresses` at block `at`, as bigints. */
export async function balancesAt(api, at, addresses) {
  const apiAt = await api.at(at);
  const accounts = await Promise.all(addresses.map((a) => apiAt.query.system.account(a)));
  return accounts.map(({ data }) => data.free.toBigInt());
}

/**
 * What `who`'s jobs hold at block `at` (default: the best block): `held`, the balance on hold
 * under `Jobs.Job` (one hold: the escrow of each open job and the deposit of each job still
 * stored), and `recorded`, what the job records say it is. Equal unless money is stuck.
 */
export async function jobHolds(api, who, at) {
  const apiAt = await api.at(at ?? await api.rpc.chain.getBlockHash());
  const [holds, jobs, from] = await Promise.all([
    apiAt.query.balances.holds(who), apiAt.query.jobs.jobs.entries(), apiAt.query.jobs.oneHoldFrom(),
  ]);
  const held = holds.filter((h) => /"job"}$/i.test(JSON.stringify(h.id.toJSON())))
    .reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
  const recorded = jobs.map(([key, job]) => [key.args[0].toBigInt(), job.unwrap()])
    .filter(([, job]) => job.owner.toString() === who)
    .reduce((sum, [id, job]) => sum + job.escrow.toBigInt() + (id >= from.toBigInt() ? job.deposit.toBigInt() : 0n), 0n);
  return { held, recorded };
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

/** The settlement split of `cost` as the runtime computes it (pallets/settlement/src/split.rs). */
export function expectedSplit(cost, royaltyBps, protocolFeePerMill) {
  const royalty = (cost * BigInt(royaltyBps) * 100_000n) / 1_000_000_000n;
  let protocolFee = (cost * BigInt(protocolFeePerMill)) / 1_000_000n;
  if (protocolFee > cost - royalty) protocolFee = cost - royalty;
  return { royalty, protocolFee, provider: cost - royalty - protocolFee };
}

/**
 * Runs the engine directly (`mosaic-node infer`) on `modelPath`; returns its JSON, whose
 * `output_hex` is the output bytes.
 */
export async function inferDirectly(nodeBinary, modelPath, prompt, maxTokens) {
  const run = await runProgram(nodeBinary, ['infer', '--model', modelPath, '--prompt', prompt, '--max-tokens', String(maxTokens)]);
  if (run.status !== 0) throw new Error(`mosaic-node infer failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

export const toHex = (bytes) => u8aToHex(bytes);

/**
 * The bytes an operator key signs to attest `output` (a Uint8Array) as the tokens `tokenIds`
 * for job `id` (`job`: its `jobs.jobs` record): `mosaic_primitives::AttestationPayload::
 * signing_bytes` — the context, then job, model hash, request hash, max_tokens, output hash,
 * tokens, token ids' hash, engine and genesis, SCALE-encoded.
 */
export function attestationBytes(api, id, job, output, tokenIds) {
  const le = (v, bits) => bnToU8a(BigInt(v), { bitLength: bits, isLe: true });
  return u8aConcat(
    stringToU8a('mosaic/attestation/v4'),
    le(id, 64),
    job.modelHash.toU8a(),
    job.requestHash.toU8a(),
    le(job.maxTokens.toNumber(), 32),
    blake2AsU8a(output, 256),
    le(tokenIds.length, 32),
    blake2AsU8a(api.createType('Vec<u32>', tokenIds).toU8a(), 256),
    job.engine.toU8a(),
    api.genesisHash.toU8a(),
  );
}

/**
 * `call` as an authorized transaction, hex: what a provider node's off-chain worker sends for
 * answers, declines and audits (frame-system's `AuthorizeCall`, no signer, nonce or fee). A
 * general (v5) extrinsic: version byte 0x45, extension version 0, the explicit parts of the
 * runtime's extensions (immortal era, nonce 0, tip 0, metadata-hash mode off), the call.
 * Submit it with `submitRaw`.
 */
export function authorizedExtrinsic(call) {
  return u8aToHex(compactAddLength(u8aConcat(new Uint8Array([0x45, 0, 0, 0, 0, 0]), call.method.toU8a())));
}

/**
 * Answers `jobId` in `provider`'s place as a provider that skips the work would: text no model
 * wrote and token ids that do not spell it, attested with `operator` (the provider's operator
 * key) and sent as an authorized transaction. For the fraud tests (dev node and network).
 */
export async function submitMadeUpAnswer(api, jobId, provider, operator) {
  const job = (await api.query.jobs.jobs(jobId)).unwrap();
  const output = new TextEncoder().encode('garbage that no model wrote for this prompt');
  const ids = [1, 2, 3, 4, 5, 6, 7, 8];
  const signature = { Sr25519: u8aToHex(operator.sign(attestationBytes(api, jobId, job, output, ids))) };
  const call = api.tx.jobs.submitResult(jobId, provider, u8aToHex(output), ids, signature);
  return submitRaw(api, authorizedExtrinsic(call));
}

/**
 * Hands a raw extrinsic (hex) to the node's pool with `author_submitExtrinsic`, past
 * polkadot.js's own extrinsic types (16.5.6 does not build general transactions). Resolves with
 * its hash; rejects with the pool's reason ("1010: Invalid Transaction: …").
 */
export function submitRaw(api, hex) {
  return api._rpcCore.provider.send('author_submitExtrinsic', [hex]);
}
