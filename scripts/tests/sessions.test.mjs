// Sessions end to end against the dev node started by scripts/test.sh (MOSAIC_WS): //Bob opens a
// session, //Alice's node (the provider, with the tiny model) serves its requests over
// `mosaic_sessionRequest` without a transaction each, and the chain settles what the vouchers
// owe. Alice's node ends the sessions it served by itself: it commits their logs (overruling
// an owner who closes on an older voucher) and settles them once due, with no fee.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { u8aToHex, stringToU8a } from '@polkadot/util';
import { connect, devAccount, DEFAULT_WS, sendAndFinalize, until, waitFinalized } from '../lib/chain.mjs';
import { balancesAt } from '../lib/testing.mjs';
import { newSessionKey, openSession, SESSION_ERRORS, SessionClient, voucherBytes, waitSettled } from '../lib/sessions.mjs';
import { runProgram } from '../lib/process.mjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../mosaic.mjs', import.meta.url));

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

const alice = devAccount('//Alice');
const bob = devAccount('//Bob');

/** Session `id`'s settlement (see `waitSettled`). */
const settlement = (id, from) => waitSettled(api, id, from, 240_000);

/** Rejects with a node error of `code`. */
async function refused(promise, code, what) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code, `${what}: ${e.message}`);
    return true;
  }, what);
}

test('a session serves requests off chain, refuses bad vouchers, and settles what its vouchers owe', async () => {
  const model = 0;
  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  // As long a prompt as the tiny model's context leaves room for.
  const context = (await api.query.models.models(model)).unwrap().contextLength.toNumber();
  const limits = { promptTokens: context - 2 - 16, maxTokens: 16 };
  const budget = 100n * ask * BigInt(limits.maxTokens);
  const key = newSessionKey();
  const opened = await openSession(api, bob, { model, budget, maxPrice: 2n * ask, lifetime: 200, limits, key });
  assert.equal(opened.record.provider.toString(), alice.address, "Alice's node is the only provider");
  assert.equal(opened.record.price.toBigInt(), ask, 'the session pays the ask');
  const client = new SessionClient(api, { ...opened, key, endpoint: DEFAULT_WS });
  try {
    // A marker in the prompt: it must reach neither a block nor the state.
    const marker = `marker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const first = await client.request({ messages: [{ role: 'user', content: `Say hello. ${marker}` }] }, limits.maxTokens);
    assert.ok(first.receipt.tokens > 0 && first.receipt.tokens <= limits.maxTokens);
    assert.ok(first.output.length > 0, 'output was streamed');
    console.log(`session ${client.id}: request 1, first chunk after ${first.firstChunkMs.toFixed(0)} ms, ${first.receipt.tokens} tokens`);

    // Refused before anything runs, nothing recorded (the next good request is still seq 2):
    const next = client.voucherFor(limits.maxTokens);
    const forger = newSessionKey();
    const forged = { voucher: next.voucher, signature: u8aToHex(forger.sign(voucherBytes(client.genesis, client.id, client.provider, next.voucher))) };
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens, { voucher: forged }), SESSION_ERRORS.BAD_VOUCHER, 'a voucher signed by another key');
    const otherSession = { voucher: next.voucher, signature: u8aToHex(key.sign(voucherBytes(client.genesis, client.id + 1n, client.provider, next.voucher))) };
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens, { voucher: otherSession }), SESSION_ERRORS.BAD_VOUCHER, "another session's voucher");
    const otherChain = { voucher: next.voucher, signature: u8aToHex(key.sign(voucherBytes(new Uint8Array(32).fill(7), client.id, client.provider, next.voucher))) };
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens, { voucher: otherChain }), SESSION_ERRORS.BAD_VOUCHER, "another chain's voucher");
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens, { voucher: client.last }), SESSION_ERRORS.VOUCHER_REFUSED, 'the last request\'s voucher, replayed');
    const short = { ...next.voucher, tokens: client.spent + limits.maxTokens - 1 };
    const shortSigned = { voucher: short, signature: u8aToHex(key.sign(voucherBytes(client.genesis, client.id, client.provider, short))) };
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens, { voucher: shortSigned }), SESSION_ERRORS.VOUCHER_REFUSED, 'a voucher that does not cover max_tokens');
    await refused(client.request({ prompt: 'Hi' }, limits.maxTokens + 1), SESSION_ERRORS.OVER_LIMITS, 'max_tokens over the limits');

    const second = await client.request({ prompt: 'Once upon a time' }, limits.maxTokens);
    assert.equal(second.receipt.seq, 2, 'the refused requests left no trace in the log');

    // Closing: the owner's latest voucher; Alice's node commits the log and, after the
    // window, settles it with no fee.
    const owed = client.last.voucher.tokens;
    const { blockHash: closedAt } = await sendAndFinalize(api, client.closeTx(), bob);
    const closing = (await (await api.at(closedAt)).query.sessions.sessions(client.id)).unwrap();
    assert.ok(closing.state.isClosing);
    const [b0, a0] = await balancesAt(api, closedAt, [bob.address, alice.address]);
    const closedNumber = (await api.rpc.chain.getHeader(closedAt)).number.toNumber();
    const { settled, blockHash: settledAt, signed } = await settlement(client.id, closedNumber);
    assert.equal(signed, false, "settled by the provider's node, as an authorized transaction");
    assert.equal(settled.tokens.toNumber(), owed, 'settlement pays the highest voucher');
    assert.equal(settled.root.unwrap().toHex(), u8aToHex(client.log), "the provider's node committed the log the receipts named");
    assert.equal(settled.receipt.paid.toBigInt(), BigInt(owed) * ask);
    assert.ok(owed <= client.spent + limits.maxTokens, 'the owner pays at most one request it did not use');
    const [b1] = await balancesAt(api, settledAt, [bob.address, alice.address]);
    assert.equal(b1 - b0, budget - BigInt(owed) * ask + opened.record.deposit.toBigInt(),
      'the rest of the budget and the deposit came back to Bob');
    assert.ok((await api.query.sessions.sessions(client.id)).isNone, 'the session left state');
    assert.ok(a0 >= 0n);

    // Nothing private on chain: the marker is in no block from the opening to the settlement,
    // and nowhere in the state.
    const hex = u8aToHex(stringToU8a(marker)).slice(2);
    const last = (await api.rpc.chain.getHeader(settledAt)).number.toNumber();
    const from = (await api.rpc.chain.getHeader(opened.blockHash)).number.toNumber();
    for (let n = from; n <= last; n++) {
      const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n));
      assert.ok(!block.toHex().includes(hex), `block #${n} carries the marker`);
    }
    const pairs = await api.rpc.state.getPairs('0x', settledAt);
    for (const [k, v] of pairs) assert.ok(!v.toHex().includes(hex), `state key ${k.toHex()} holds the marker`);
  } finally {
    await client.disconnect();
  }
});

test('a session of 100 requests costs the chain under a tenth of 100 transfers, by charged weight', async () => {
  const key = newSessionKey();
  const limits = { promptTokens: 64, maxTokens: 16 };
  const weight = async (tx) => (await tx.paymentInfo(bob)).weight.refTime.toBigInt();
  const sig = `0x${'00'.repeat(64)}`;
  const voucher = { seq: 100, tokens: 1000, log: `0x${'00'.repeat(32)}` };
  // What the chain does for a session: open it, close it, the provider's commitment (its
  // voucher and log root), settle it.
  const session = await weight(api.tx.sessions.openSession(0, 10n ** 15n, 10n ** 9n, 100, limits, key.publicKey))
    + await weight(api.tx.sessions.closeSession(0, [voucher, sig], null))
    + await weight(api.tx.sessions.commitSession(0, [voucher, sig], `0x${'11'.repeat(32)}`, { Sr25519: sig }))
    + await weight(api.tx.sessions.settleSession(0));
  const transfers = 100n * await weight(api.tx.balances.transferKeepAlive(alice.address, 1n));
  const ratio = Number(session) / Number(transfers);
  console.log(`a session of 100 requests: ${session} ref time (open, close, the provider's commitment, settle) = ${(100 * ratio).toFixed(1)} % of 100 transfer_keep_alive (${transfers})`);
  assert.ok(ratio <= 0.1, `${(100 * ratio).toFixed(1)} %`);
});

test('the CLI opens a session, asks in it, shows it, closes and settles it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'mosaic-home-'));
  const cli = async (args) => {
    const env = { ...process.env, MOSAIC_WS: DEFAULT_WS, MOSAIC_SURI: '//Bob', MOSAIC_HOME: home };
    const r = await runProgram(process.execPath, [CLI, '--json', ...args], { env, timeout: 240_000 });
    assert.equal(r.status, 0, `mosaic ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  const opened = await cli(['session', 'open', '0', String(1000n * ask), '--max-tokens', '8', '--max-price', String(ask)]);
  assert.equal(opened.provider, alice.address);
  const id = opened.session;
  const first = await cli(['session', 'ask', String(id), 'Once upon a time']);
  assert.equal(first.receipt.seq, 1);
  const second = await cli(['session', 'ask', String(id), 'Hello', '--max-tokens', '4']);
  assert.equal(second.receipt.seq, 2, 'the second run of the CLI went on from the saved log');
  const status = await cli(['session', 'status', String(id)]);
  assert.equal(status.served, 2);
  assert.equal(status.spent, first.receipt.tokens + second.receipt.tokens);
  const closed = await cli(['session', 'close', String(id)]);
  await waitFinalized(api, closed.settlesFrom);
  // The CLI settles it, or says that the provider's node did first.
  const settled = await cli(['session', 'settle', String(id)]);
  assert.equal(settled.session, String(id));
  const { settled: event } = await settlement(BigInt(id), closed.settlesFrom);
  assert.equal(event.tokens.toNumber(), status.owed, 'settled on the latest voucher');
  if (!settled.alreadySettled) assert.equal(settled.tokens, status.owed);
});

test("an owner who closes on an older voucher is overruled by the provider's node within the window", async () => {
  const ask = (await api.query.providers.providers(alice.address)).unwrap().ask.toBigInt();
  const limits = { promptTokens: 64, maxTokens: 8 };
  const key = newSessionKey();
  const opened = await openSession(api, bob, { model: 0, budget: 100n * ask * 8n, maxPrice: 2n * ask, lifetime: 200, limits, key });
  const client = new SessionClient(api, { ...opened, key, endpoint: DEFAULT_WS });
  try {
    await client.request({ prompt: 'Once upon a time' }, limits.maxTokens);
    const older = client.last;
    await client.request({ prompt: 'Hello' }, limits.maxTokens);
    const latest = client.last;
    assert.ok(latest.voucher.tokens > older.voucher.tokens);
    const { blockHash } = await sendAndFinalize(api, api.tx.sessions.closeSession(client.id, [older.voucher, older.signature], null), bob);
    const from = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    const committed = await until(api, 'the provider to commit', async () => {
      const s = (await api.query.sessions.sessions(client.id)).unwrapOr(null);
      return s?.root.isSome ? s : null;
    }, 120_000);
    assert.equal(committed.voucher.unwrap().tokens.toNumber(), latest.voucher.tokens, "the provider's later voucher replaced the owner's");
    assert.equal(committed.root.unwrap().toHex(), u8aToHex(client.log));
    const { settled } = await settlement(client.id, from);
    assert.equal(settled.tokens.toNumber(), latest.voucher.tokens, 'settlement pays what the provider served');
  } finally {
    await client.disconnect();
  }
});
