// Shared helpers for Mosaic's polkadot.js scripts and tests.
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { rpc } from './rpc.mjs';

/** The node to talk to: MOSAIC_WS, or a local dev node. */
export const DEFAULT_WS = process.env.MOSAIC_WS ?? 'ws://127.0.0.1:9944';

/**
 * Connects to `url`. Fails within `probeMs` with "cannot reach a Mosaic node at …" when
 * nothing answers there, instead of retrying forever; then within `timeoutMs` if the node
 * does not become ready.
 */
export async function connect(url = DEFAULT_WS, timeoutMs = 30_000, probeMs = 5_000) {
  await probe(url, probeMs);
  const provider = new WsProvider(url, 1_000);
  // `isReady` waits out a dropped connection (the provider reconnects) and never rejects: the
  // timer is what ends a wait for a node that answers but does not become ready.
  const api = new ApiPromise({ provider, rpc, noInitWarn: true });
  api.isReadyOrError.catch(() => {});
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the node at ${url} answered but its API was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([api.isReady, late]);
  } catch (e) {
    await api.disconnect().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Throws "cannot reach a Mosaic node at `url`" unless a node answers there within `ms`. */
async function probe(url, ms) {
  let http;
  try {
    http = new URL(url.replace(/^ws/, 'http'));
  } catch {
    throw new Error(`not a node URL: ${JSON.stringify(url)} (e.g. ws://127.0.0.1:9944)`);
  }
  try {
    const res = await fetch(http, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'system_health', params: [] }),
      signal: AbortSignal.timeout(ms),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (e) {
    const why = e.name === 'TimeoutError' ? `no answer within ${ms / 1000} s` : (e.cause?.code ?? e.message);
    throw new Error(`cannot reach a Mosaic node at ${url} (${why}); start one (scripts/run-dev.sh) or pass --url`);
  }
}

/** Resolves once a node answers JSON-RPC over HTTP at `url` (ws:// is read as http://). */
export async function waitForRpc(url = DEFAULT_WS, timeoutMs = 120_000) {
  const http = url.replace(/^ws/, 'http');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(http, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'system_health', params: [] }),
      });
      if (res.ok) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`no node answered at ${http} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An sr25519 keyring pair from a dev URI such as `//Alice`. */
export function devAccount(uri) {
  return new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(uri);
}

/**
 * The sr25519 key whose dev URI or mnemonic is in the environment variable `name` (keys are
 * read from the environment only, never from a flag: a flag shows in `ps` and shell history);
 * `null` when it is unset, for the caller to say what it needs.
 */
export async function keyFromEnv(name = 'MOSAIC_SURI') {
  const suri = process.env[name];
  if (!suri) return null;
  await cryptoWaitReady();
  return devAccount(suri);
}

/** Decodes a DispatchError into `pallet.Error: docs`. */
export function describeDispatchError(api, dispatchError) {
  if (dispatchError.isModule) {
    const m = api.registry.findMetaError(dispatchError.asModule);
    return `${m.section}.${m.name}: ${m.docs.join(' ')}`;
  }
  return dispatchError.toString();
}

/** Per signer, the last submission: the next waits for the pool to have it. */
const submissions = new Map();
/** Per signer, the nonce after the last one it submitted (the node's count may lag its pool). */
const nonces = new Map();

/**
 * Signs and sends `tx`, resolving with `{ blockHash, events }` (this extrinsic's events) once
 * it is in a block (`until = 'inBlock'`) or its block is finalised (`'finalized'`). Rejects with
 * a readable message when the extrinsic fails or is dropped. Transactions of one signer are
 * handed to the node one after another (each once the pool holds the one before), so that
 * concurrent sends from one account never take the same nonce.
 */
export function sendAndWait(api, tx, signer, until) {
  const who = signer?.address ?? signer;
  const before = submissions.get(who) ?? Promise.resolve();
  let submitted;
  const result = new Promise((resolve, reject) => {
    let unsub = () => {};
    const forget = () => nonces.delete(who);
    const onStatus = ({ status, dispatchError, events }) => {
      if (dispatchError) {
        unsub();
        reject(new Error(describeDispatchError(api, dispatchError)));
      } else if (until === 'inBlock' && status.isInBlock) {
        unsub();
        resolve({ blockHash: status.asInBlock, events });
      } else if (status.isFinalized) {
        unsub();
        resolve({ blockHash: status.asFinalized, events });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        unsub();
        forget();
        reject(new Error(`transaction ${status.type}`));
      }
    };
    submitted = before.then(async () => {
      const next = (await api.rpc.system.accountNextIndex(who)).toNumber();
      const nonce = Math.max(next, nonces.get(who) ?? 0);
      nonces.set(who, nonce + 1);
      await tx.signAndSend(signer, { nonce }, onStatus).then((u) => { unsub = u; }, (e) => { forget(); reject(e); });
    }).catch(reject);
  });
  submissions.set(who, submitted.catch(() => {}));
  return result;
}

/** [`sendAndWait`] until the block is finalised. */
export const sendAndFinalize = (api, tx, signer) => sendAndWait(api, tx, signer, 'finalized');
/** [`sendAndWait`] until the extrinsic is in a block. */
export const sendAndInclude = (api, tx, signer) => sendAndWait(api, tx, signer, 'inBlock');

/**
 * A test's clean-up step: awaits `action` (a promise) and, when it fails, says so on stderr with
 * `what` it was to undo instead of throwing, so that it never hides the test's own failure. A
 * clean-up that failed leaves the chain as the test changed it, and later tests may fail for
 * that reason: this line is where to look.
 */
export async function undo(what, action) {
  try {
    await action;
  } catch (e) {
    console.error(`clean-up failed (${what}): ${e?.message ?? e}`);
  }
}

/** Free balance of `who` at block `at`. */
export async function freeAt(api, at, who) {
  const apiAt = await api.at(at);
  const { data } = await apiAt.query.system.account(who);
  return data.free.toBigInt();
}

/** Resolves with the first finalised head whose number is at least `n`. */
/**
 * Resolves with the first truthy `check(header)` at a new best block; rejects after `ms`, or
 * with the error `check` throws.
 */
export function until(api, what, check, ms = 120_000) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)); }, ms);
    api.rpc.chain.subscribeNewHeads(async (h) => {
      try {
        const v = await check(h);
        if (v) { clearTimeout(timer); unsub(); resolve(v); }
      } catch (e) { clearTimeout(timer); unsub(); reject(e); }
    }).then((u) => { unsub = u; }, reject);
  });
}

export function waitFinalized(api, n, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error(`no block #${n} finalised in ${timeoutMs} ms`)); }, timeoutMs);
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      if (header.number.toNumber() >= n) {
        clearTimeout(timer);
        unsub();
        resolve(header);
      }
    }).then((u) => { unsub = u; }, reject);
  });
}
