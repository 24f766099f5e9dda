// What only the tests need: oracles that check the chain's arithmetic and state against their
// own (the split, what jobs hold, balances, fee shares), the engine run directly, and the
// adversaries (a made-up answer sent as a provider that skipped the work).
import { bnToU8a, compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, encodeAddress } from '@polkadot/util-crypto';
import { sendAndFinalize, sendAndInclude } from './chain.mjs';
import { submitJob } from './jobs.mjs';
import { runProgram } from './process.mjs';

/** The treasury's account: PalletId `mos/trsy` as FRAME derives it. */
export function treasuryAddress() {
  const raw = u8aConcat(stringToU8a('modl'), stringToU8a('mos/trsy'), new Uint8Array(20));
  return encodeAddress(raw, 42);
}

/** What `models.registerModel` takes for a llama file of `context` tokens with no chat template. */
export const rawSpec = (context) => ({ architecture: 'llama', parameters: 1_000_000, fileType: 'Q8_0', contextLength: context, chatTemplate: null });

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

/**
 * The shares of `job`'s protocol fee paid to its auditors in block `at` (where it settled):
 * `[{ to, amount }]`, empty for an answer nobody audited (its fee is the treasury's).
 */
export async function auditorShares(api, job, at) {
  const events = await (await api.at(at)).query.system.events();
  return events
    .filter(({ event }) => api.events.settlement.Paid.is(event) && event.data.escrow.isJob && event.data.escrow.asJob.toBigInt() === BigInt(job)
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
