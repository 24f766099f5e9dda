// A validator added by referendum starts authoring. A new node ("one", --validator) joins and
// makes fresh session keys with an ownership proof (author_rotateKeysWithOwner);
// //Alice//stash registers them (session.setKeys); a validator_admin referendum, voted by the dev accounts, adds the account;
// two session boundaries later (sessions are ten blocks on the local chain) the new node
// authors blocks. It is stopped afterwards (the set keeps it: this runs last).
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { lib, connectTo, until, best, MOS } = require('./common.js');

async function run(nodeName, networkInfo) {
  const zombie = JSON.parse(fs.readFileSync(path.join(networkInfo.tmpDir, 'zombie.json'), 'utf8'));
  const dir = fs.mkdtempSync(path.join(networkInfo.tmpDir, 'one-'));
  const port = Number(process.env.MOSAIC_NETWORK_RPC_LATE ?? 29960) + 4;
  const log = fs.openSync(path.join(networkInfo.tmpDir, 'one.log'), 'a');
  const child = spawn(process.env.MOSAIC_NODE, [
    '--chain', networkInfo.chainSpecPath, '--base-path', dir, '--name', 'one', '--validator',
    // A validator needs a persistent network key.
    '--node-key', require('node:crypto').createHash('sha256').update('one').digest('hex'),
    '--rpc-port', String(port), '--port', String(port + 1), '--rpc-methods', 'unsafe',
    '--bootnodes', zombie.nodesByName.alice.multiAddress, '--no-mdns', '--no-telemetry', '--no-prometheus',
  ], { stdio: ['ignore', log, log] });
  // Without a listener, a node that cannot start (MOSAIC_NODE wrong) would end zombienet itself.
  child.on('error', (e) => console.error(`the new validator node ("one") did not start: ${e.message}`));
  const { connect, waitForRpc, devAccount, sendAndInclude } = await lib('chain.mjs');
  const gov = await lib('governance.mjs');
  const api = await connectTo(networkInfo, nodeName);
  let one;
  try {
    await waitForRpc(`ws://127.0.0.1:${port}`, 60_000);
    one = await connect(`ws://127.0.0.1:${port}`);
    const tip = await best(api);
    await until(one, 'the new node to sync', async (h) => h.number.toNumber() >= tip, 180_000);
    // Keys made on the node, with the proof (pallet-session checks it) that the account that
    // registers them owns them.
    const stash = devAccount('//Alice//stash');
    const owner = `0x${Buffer.from(stash.publicKey).toString('hex')}`;
    const res = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'author_rotateKeysWithOwner', params: [owner] }),
    });
    const { result, error } = await res.json();
    if (error) throw new Error(`author_rotateKeysWithOwner: ${error.message}`);
    const { keys, proof } = result;
    if (!proof) throw new Error('the node made no ownership proof');
    await sendAndInclude(api, api.tx.session.setKeys(keys, proof), stash);

    const voters = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map(devAccount);
    const { index } = await gov.propose(api, voters[0], 'validator_admin', api.tx.validators.addValidator(stash.address));
    await Promise.all(voters.map((v) => gov.vote(api, v, index, true, 900_000n * MOS, 0)));
    await until(api, 'the referendum to add the validator', async () =>
      (await api.query.validators.validators()).some((v) => v.toString() === stash.address), 240_000);
    await until(api, 'the new validator in the session', async () =>
      (await api.query.session.validators()).some((v) => v.toString() === stash.address), 300_000);
    // BABE: a validator authors the slots its VRF wins and its share of the secondary slots.
    const authored = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the new validator authored nothing in 3 minutes')), 180_000);
      let unsub = () => {};
      api.derive.chain.subscribeNewHeads((h) => {
        if (h.author?.toString() === stash.address) { clearTimeout(timer); unsub(); resolve(h.number.toNumber()); }
      }).then((u) => { unsub = u; }, reject);
    });
    console.log(`#${authored} authored by the validator added in referendum #${index}`);
    return authored;
  } finally {
    await one?.disconnect();
    await api.disconnect();
    child.kill('SIGTERM');
  }
}

module.exports = { run };
