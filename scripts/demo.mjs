// The dev-chain demo: what `scripts/run-dev.sh` shows once the node is up.
// Today: a finalised transfer from //Alice to //Bob with its exact receipt.
import { connect, devAccount, sendAndFinalize, waitFinalized } from './lib/chain.mjs';

const MOS = 10n ** 12n;
const fmt = (planck) => `${planck / MOS}.${(planck % MOS).toString().padStart(12, '0')} MOS`;

const api = await connect();
try {
  const head = await waitFinalized(api, 1);
  console.log(`chain ${(await api.rpc.system.chain()).toString()} finalised #${head.number}`);
  const alice = devAccount('//Alice');
  const bob = devAccount('//Bob');
  const amount = 10n * MOS;
  const { blockHash, events } = await sendAndFinalize(
    api, api.tx.balances.transferKeepAlive(bob.address, amount), alice);
  const fee = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  console.log(`transfer of ${fmt(amount)} from Alice to Bob finalised in ${blockHash.toHex()}`);
  console.log(`fee paid by Alice: ${fmt(fee.event.data.actualFee.toBigInt())}`);
} finally {
  await api.disconnect();
}
