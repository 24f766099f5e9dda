// A node that joins late (started now, empty database, bootnode alice) syncs to the tip and
// serves RPC, the marketplace's methods included. It is stopped afterwards.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { lib, connectTo, until, best } = require('./common.js');

async function run(nodeName, networkInfo) {
  const zombie = JSON.parse(fs.readFileSync(path.join(networkInfo.tmpDir, 'zombie.json'), 'utf8'));
  const bootnode = zombie.nodesByName.alice.multiAddress;
  const dir = fs.mkdtempSync(path.join(networkInfo.tmpDir, 'late-'));
  const port = Number(process.env.MOSAIC_NETWORK_RPC_LATE ?? 29960);
  const log = fs.openSync(path.join(networkInfo.tmpDir, 'late.log'), 'a');
  const child = spawn(process.env.MOSAIC_NODE, [
    '--chain', networkInfo.chainSpecPath, '--base-path', dir, '--name', 'late',
    '--rpc-port', String(port), '--port', String(port + 1), '--bootnodes', bootnode,
    '--no-mdns', '--no-telemetry', '--no-prometheus',
  ], { stdio: ['ignore', log, log] });
  // Without a listener, a node that cannot start (MOSAIC_NODE wrong) would end zombienet itself.
  child.on('error', (e) => console.error(`the late node did not start: ${e.message}`));
  const alice = await connectTo(networkInfo, nodeName);
  let late;
  try {
    const { connect, waitForRpc } = await lib('chain.mjs');
    await waitForRpc(`ws://127.0.0.1:${port}`, 60_000);
    late = await connect(`ws://127.0.0.1:${port}`);
    const tip = await best(alice);
    await until(late, `the late node to reach #${tip}`, async (h) => h.number.toNumber() >= tip, 200_000);
    const { allModels } = await lib('rpc.mjs');
    const models = await allModels(late);
    if (models.length < 2) throw new Error(`the late node lists ${models.length} models`);
    return (await best(late));
  } finally {
    await late?.disconnect();
    await alice.disconnect();
    child.kill('SIGTERM');
  }
}

module.exports = { run };
