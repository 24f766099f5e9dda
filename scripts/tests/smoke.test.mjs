// Smoke test against a running node (MOSAIC_WS, default ws://127.0.0.1:9944): metadata,
// block production and finality, and an exactly-accounted transfer from //Alice to //Bob.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, devAccount, freeAt, sendAndFinalize, waitFinalized } from '../lib/chain.mjs';

let api;
before(async () => { api = await connect(); });
after(async () => { await api?.disconnect(); });

test('metadata describes the Mosaic runtime', async () => {
  const version = api.runtimeVersion;
  assert.equal(version.specName.toString(), 'mosaic');
  assert.ok(api.runtimeMetadata.version >= 14, `metadata v${api.runtimeMetadata.version}`);
  for (const pallet of ['system', 'balances', 'transactionPayment', 'session', 'babe', 'grandpa', 'sudo', 'utility']) {
    assert.ok(api.tx[pallet] || api.query[pallet], `pallet ${pallet} is in the metadata`);
  }
  const versions = (await api.call.metadata.metadataVersions()).map((v) => v.toNumber());
  assert.ok(versions.includes(15) && versions.includes(16), `metadata versions ${versions}`);
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'MOS');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
});

test('the chain authors and finalises blocks', async () => {
  const header = await waitFinalized(api, 2);
  assert.ok(header.number.toNumber() >= 2);
});

test('a transfer from Alice to Bob is finalised and both balances check out exactly', async () => {
  const alice = devAccount('//Alice');
  const bob = devAccount('//Bob');
  const amount = 1_234_567_890_123n; // 1.234567890123 MOS

  const tx = api.tx.balances.transferKeepAlive(bob.address, amount);
  const { blockHash, events } = await sendAndFinalize(api, tx, alice);

  const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(feeEvent, 'TransactionFeePaid was emitted');
  const fee = feeEvent.event.data.actualFee.toBigInt() + feeEvent.event.data.tip.toBigInt();
  assert.ok(fee > 0n, 'a fee was charged');
  assert.equal(feeEvent.event.data.who.toString(), alice.address);

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'Transfer was emitted');
  assert.equal(transfer.event.data.amount.toBigInt(), amount);

  const header = await api.rpc.chain.getHeader(blockHash);
  const parent = header.parentHash;
  const [aliceBefore, aliceAfter, bobBefore, bobAfter] = await Promise.all([
    freeAt(api, parent, alice.address),
    freeAt(api, blockHash, alice.address),
    freeAt(api, parent, bob.address),
    freeAt(api, blockHash, bob.address),
  ]);
  assert.equal(aliceBefore - aliceAfter, amount + fee, 'Alice paid the amount plus the fee');
  assert.equal(bobAfter - bobBefore, amount, 'Bob received the amount');
});
