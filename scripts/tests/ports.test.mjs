// A node told to listen on a port that is taken (--rpc-port, --port, --prometheus-port) refuses
// to start, and says why (node/src/ports.rs). Substrate's own behaviour: RPC moves to a random
// port, so a client pointed at the named one talks to whatever holds it; the network and
// Prometheus start without listening. The scripts' start_node (scripts/lib/env.sh) refuses such
// a port before it starts anything. Starts its own dev nodes (MOSAIC_NODE), which must not come up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../lib/process.mjs';

const NODE_BINARY = process.env.MOSAIC_NODE;
const ENV_SH = fileURLToPath(new URL('../lib/env.sh', import.meta.url));

/** A listener on a free port of `host`, standing in for another node. */
async function occupy(host = '127.0.0.1') {
  const server = createServer((socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return { server, port: server.address().port };
}

/** A port nothing listens on now. */
async function freePort() {
  const { server, port } = await occupy();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The flag given the taken port, what the node says it could not listen for, and where the
// stand-in listens (the network listens on every address).
const CASES = [
  { flag: '--rpc-port', what: 'RPC', host: '127.0.0.1' },
  { flag: '--port', what: 'peers', host: '0.0.0.0' },
  { flag: '--prometheus-port', what: 'Prometheus', host: '127.0.0.1' },
];

for (const { flag, what, host } of CASES) {
  test(`a node whose ${flag} is taken exits with a clear error`, async () => {
    assert.ok(NODE_BINARY, 'MOSAIC_NODE is set');
    const { server, port } = await occupy(host);
    try {
      const ports = { '--rpc-port': await freePort(), '--port': await freePort(), '--prometheus-port': await freePort() };
      ports[flag] = port;
      // Before node/src/ports.rs the node started (on a random RPC port, or not listening) and
      // ran until the timeout killed it.
      const run = await runProgram(NODE_BINARY, [
        '--dev', '--tmp', '--no-telemetry', '--no-mdns',
        ...Object.entries(ports).flatMap(([f, p]) => [f, String(p)]),
      ], { timeout: 60_000 });
      const output = run.stdout + run.stderr;
      assert.equal(run.signal, null, `the node ran until killed; its output ends:\n${output.slice(-2000)}`);
      assert.notEqual(run.status, 0, 'the node exited with an error');
      assert.match(output, new RegExp(`cannot listen for ${what} on \\S+:${port} `));
      assert.match(output, new RegExp(`choose another ${flag}`));
    } finally {
      server.close();
    }
  });
}

test("the scripts' start_node refuses a port something listens on", async () => {
  const { server, port } = await occupy();
  try {
    // MOSAIC_NODE=/bin/false: were the port not refused first, start_node would report that
    // the node exited during start-up instead.
    const run = await runProgram('bash', [
      '-c', 'source "$1" && MOSAIC_NODE=/bin/false start_node /dev/null "$2" --dev', 'start_node',
      ENV_SH, String(port),
    ], { env: { ...process.env, MOSAIC_NO_CLIPPY: '1' }, timeout: 30_000 });
    assert.equal(run.status, 1, `start_node failed; it said: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1`));
  } finally {
    server.close();
  }
});
