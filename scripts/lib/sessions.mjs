// Sessions from polkadot.js: open one on chain, send its requests to the provider's node with
// vouchers its session key signs, check every receipt, close it. The bytes signed and hashed
// here are those of pallets/sessions/src/types.rs, SCALE-encoded by hand (each a tuple of
// fixed-size fields and one length-prefixed domain).
import { WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { bnToU8a, compactAddLength, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress, mnemonicGenerate, signatureVerify } from '@polkadot/util-crypto';
import { sendAndWait, until } from './chain.mjs';
import { jobRequest } from './jobs.mjs';

const domain = (s) => compactAddLength(stringToU8a(s));
const u32 = (n) => bnToU8a(BigInt(n), { bitLength: 32, isLe: true });
const u64 = (n) => bnToU8a(BigInt(n), { bitLength: 64, isLe: true });
const u128 = (n) => bnToU8a(BigInt(n), { bitLength: 128, isLe: true });
const h256 = (h) => (typeof h === 'string' ? hexToU8a(h) : h);

/** Error codes of the session methods (node/src/sessions/mod.rs). */
export const SESSION_ERRORS = {
  SESSION_NOT_FOUND: 1030,
  NOT_THIS_PROVIDER: 1031,
  SESSION_CLOSED: 1032,
  OVER_LIMITS: 1033,
  BAD_VOUCHER: 1034,
  VOUCHER_REFUSED: 1035,
  SESSION_BUSY: 1036,
  ENGINE_BUSY: 1037,
  ENGINE_FAILED: 1038,
};

/** `voucher_signing_bytes`: what the session key signs for `voucher`. */
export function voucherBytes(genesis, session, provider, { seq, tokens, log }) {
  return u8aConcat(domain('mosaic/voucher/v1'), h256(genesis), u64(session), decodeAddress(provider), u32(seq), u32(tokens), h256(log));
}

/** `log_start`: the log of `session` before its first request. */
export const logStart = (genesis, session) => blake2AsU8a(u8aConcat(domain('mosaic/log/v1'), h256(genesis), u64(session)), 256);

/** `log_after`: the log after `entry` `{ seq, request, output, tokens }`. */
export const logAfter = (before, { seq, request, output, tokens }) =>
  blake2AsU8a(u8aConcat(h256(before), u32(seq), h256(request), h256(output), u32(tokens)), 256);

/** `receipt_signing_bytes`: what the operator key signs for a receipt. */
export function receiptBytes(genesis, session, { seq, request, output, tokens, cost, log }) {
  return u8aConcat(domain('mosaic/receipt/v1'), h256(genesis), u64(session), u32(seq), h256(request), h256(output), u32(tokens), u128(cost), h256(log));
}

/** A fresh session key (sr25519), held by the client only. */
export function newSessionKey(mnemonic = mnemonicGenerate()) {
  const key = new Keyring({ type: 'sr25519' }).addFromMnemonic(mnemonic);
  key.mnemonic = mnemonic;
  return key;
}

/** Where the provider of `record` serves requests: its declared endpoint, else `fallback`. */
export async function endpointOf(api, record, fallback) {
  const declared = (await api.query.providers.endpoints(record.provider)).unwrapOr(null);
  return declared ? new TextDecoder().decode(declared.toU8a(true)) : fallback;
}

/** The SCALE bytes of a `JobRequest` (see `jobRequest` for the fields). */
export function encodeRequest(api, request) {
  const type = api.tx.jobs.submitRequest.meta.args.find((a) => a.name.toString() === 'request').type.toString();
  return api.createType(type, jobRequest(request)).toU8a();
}

/**
 * Opens a session of `owner` and waits for its block to be finalised (or, with `until:
 * 'inBlock'`, to be in a block: the provider's node checks sessions at its best block):
 * `{ model, budget, maxPrice, lifetime (blocks), limits: { promptTokens, maxTokens }, key }`.
 * Resolves with the session's id, record (provider, price, expiry, …) and the block.
 */
export async function openSession(api, owner, { model, budget, maxPrice, lifetime, limits, key }, { until = 'finalized' } = {}) {
  const tx = api.tx.sessions.openSession(model, budget, maxPrice, lifetime, limits, key.publicKey);
  const { blockHash, events } = await sendAndWait(api, tx, owner, until);
  const opened = events.find(({ event }) => api.events.sessions.SessionOpened.is(event));
  if (!opened) throw new Error('openSession: no SessionOpened event');
  const id = opened.event.data.session.toBigInt();
  const record = (await (await api.at(blockHash)).query.sessions.sessions(id)).unwrap();
  return { id, record, blockHash, events };
}

/**
 * A session's client side: signs each request's voucher, streams it from the provider's node
 * at `endpoint` (a ws:// URL) and checks its receipt (the provider's operator key's signature,
 * the log). One request at a time, as the node serves them.
 */
export class SessionClient {
  constructor(api, { id, record, key, endpoint }) {
    this.api = api;
    this.id = BigInt(id);
    this.provider = record.provider.toString();
    this.price = record.price.toBigInt();
    this.key = key;
    this.genesis = api.genesisHash.toU8a();
    this.endpoint = endpoint;
    this.served = 0;
    this.spent = 0;
    this.owed = 0; // the highest voucher's tokens
    this.log = logStart(this.genesis, this.id);
    this.last = null; // { voucher, signature } of the latest request
    this.receipts = [];
  }

  /** The connection to the provider's node (made again if it dropped); rejects within `ms`. */
  async connect(ms = 10_000) {
    if (this.ws && !this.ws.isConnected) await this.disconnect();
    if (!this.ws) {
      const ws = new WsProvider(this.endpoint, false);
      const offs = [];
      try {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer from ${this.endpoint} within ${ms} ms`)), ms);
          offs.push(() => clearTimeout(timer));
          offs.push(ws.on('error', () => reject(new Error(`cannot connect to ${this.endpoint}`))));
          offs.push(ws.on('disconnected', () => reject(new Error(`${this.endpoint} closed the connection`))));
          ws.isReady.then(resolve);
          ws.connect().catch(reject);
        });
      } catch (e) {
        await ws.disconnect().catch(() => {});
        throw e;
      } finally {
        for (const off of offs) off();
      }
      this.ws = ws;
    }
    return this.ws;
  }

  async disconnect() {
    await this.ws?.disconnect();
    this.ws = undefined;
  }

  /** The voucher that pays for the next request at `maxTokens`, and its signature. */
  voucherFor(maxTokens) {
    const tokens = Math.max(this.owed, this.spent + maxTokens);
    const voucher = { seq: this.served + 1, tokens, log: u8aToHex(this.log) };
    const signature = this.key.sign(voucherBytes(this.genesis, this.id, this.provider, voucher));
    return { voucher, signature: u8aToHex(signature) };
  }

  /**
   * Sends a request (`{ prompt }` or `{ messages }` and sampling, see `jobRequest`) of at most
   * `maxTokens`, with `onOutput(bytes)` for each piece as it is generated. Resolves with
   * `{ output, text, receipt, firstChunkMs }` once the receipt is checked; rejects with the
   * node's typed error (`.code`, see SESSION_ERRORS) when the request is refused, with
   * `.failed` (the engine's reason) when the engine failed on it after it was accepted.
   * `voucher` overrides the one this client would sign (for tests of the node's checks).
   */
  async request(request, maxTokens, { onOutput = () => {}, voucher } = {}) {
    const ws = await this.connect();
    const bytes = encodeRequest(this.api, request);
    const signed = voucher ?? this.voucherFor(maxTokens);
    const started = performance.now();
    let firstChunkMs = null;
    const chunks = [];
    let subscription;
    const done = new Promise((resolve, reject) => {
      ws.subscribe('mosaic_sessionOutput', 'mosaic_sessionRequest',
        [Number(this.id), u8aToHex(bytes), maxTokens, signed.voucher, signed.signature],
        (error, event) => {
          if (error) return reject(error);
          if (event.event === 'output') {
            const piece = hexToU8a(event.bytes);
            if (firstChunkMs === null) firstChunkMs = performance.now() - started;
            chunks.push(piece);
            onOutput(piece);
          } else if (event.event === 'receipt') {
            resolve(event);
          } else if (event.event === 'failed') {
            // Nothing is owed for it, but the provider holds its voucher: the next one must
            // name at least as much.
            this.owed = Math.max(this.owed, signed.voucher.tokens);
            reject(Object.assign(new Error(`the provider's engine failed on the request: ${event.reason}`), { failed: event.reason }));
          }
        }).then((id) => { subscription = id; }, reject);
    });
    let receipt;
    try {
      receipt = await done;
    } finally {
      if (subscription !== undefined) ws.unsubscribe('mosaic_sessionOutput', 'mosaic_sessionUnrequest', subscription).catch(() => {});
    }
    const output = u8aConcat(...chunks);
    await this.check(receipt, bytes, output, signed);
    return { output, text: new TextDecoder().decode(output), receipt, firstChunkMs };
  }

  /** Checks a receipt against what was sent and received, then moves the log on. */
  async check(receipt, requestBytes, output, signed) {
    const entry = {
      seq: this.served + 1,
      request: blake2AsU8a(requestBytes, 256),
      output: blake2AsU8a(output, 256),
      tokens: receipt.tokens,
    };
    const fail = (what) => { throw new Error(`receipt ${receipt.seq} of session ${this.id}: ${what}`); };
    if (receipt.seq !== entry.seq) fail(`seq ${receipt.seq}, expected ${entry.seq}`);
    if (receipt.request !== u8aToHex(entry.request)) fail('names another request');
    if (receipt.output !== u8aToHex(entry.output)) fail('names another output than the one streamed');
    if (BigInt(receipt.cost) !== BigInt(receipt.tokens) * this.price) fail(`cost ${receipt.cost} is not tokens × price`);
    if (receipt.tokens > signed.voucher.tokens - this.spent) fail('more tokens than the voucher paid for');
    const log = logAfter(this.log, entry);
    if (receipt.log !== u8aToHex(log)) fail('its log does not follow from the previous one');
    const operator = await this.api.query.providers.operators(receipt.operator);
    if (operator.isNone || operator.unwrap().toString() !== this.provider) fail("is not signed by the provider's operator key");
    const message = receiptBytes(this.genesis, this.id, { ...entry, cost: receipt.cost, log });
    if (!signatureVerify(message, receipt.signature, receipt.operator).isValid) fail('signature does not verify');
    this.served = entry.seq;
    this.spent += receipt.tokens;
    this.owed = Math.max(this.owed, signed.voucher.tokens);
    this.log = log;
    this.last = signed;
    this.receipts.push(receipt);
  }

  /** What a client must keep between runs (the session key's mnemonic included: keep it private). */
  state() {
    return {
      id: this.id.toString(), served: this.served, spent: this.spent, owed: this.owed,
      log: u8aToHex(this.log), last: this.last, endpoint: this.endpoint,
    };
  }

  /** A client from `state()` of an earlier run, its key and the session's record. */
  static restore(api, state, key, record) {
    const client = new SessionClient(api, { id: state.id, record, key, endpoint: state.endpoint });
    Object.assign(client, { served: state.served, spent: state.spent, owed: state.owed, log: hexToU8a(state.log), last: state.last });
    return client;
  }

  /** The owner's `closeSession` with the latest voucher. */
  closeTx() {
    const latest = this.last ? [this.last.voucher, this.last.signature] : null;
    return this.api.tx.sessions.closeSession(this.id, latest, null);
  }
}

/**
 * Waits (at most `ms`) until session `id` has left state, and resolves with its
 * `SessionSettled` event's data, the block it is in (hash and number) and whether a signed
 * extrinsic settled it (the provider's node settles with an authorized one); blocks are
 * searched from `from`, a block no later than the settlement.
 */
export async function waitSettled(api, id, from, ms = 300_000) {
  const head = await until(api, `session ${id} to be settled`, async (h) => (await api.query.sessions.sessions(id)).isNone && h, ms);
  for (let n = from; n <= head.number.toNumber(); n++) {
    const blockHash = await api.rpc.chain.getBlockHash(n);
    const events = await (await api.at(blockHash)).query.system.events();
    const found = events.find(({ event }) => api.events.sessions.SessionSettled.is(event) && event.data.session.toBigInt() === BigInt(id));
    if (found) {
      const block = await api.rpc.chain.getBlock(blockHash);
      const xt = block.block.extrinsics[found.phase.asApplyExtrinsic.toNumber()];
      return { settled: found.event.data, blockHash, number: n, signed: xt.isSigned };
    }
  }
  throw new Error(`no SessionSettled event for session ${id} from block ${from}`);
}
