// The clients' `connect` (scripts/lib/chain.mjs) ends with an error, not a hang, when something
// answers at the node's address but its API never becomes ready: a stand-in here answers the
// reachability probe and accepts the WebSocket, then reads every request and answers none.
// (Before, the timer only dropped the connection, which @polkadot/api then waited out forever.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { connect } from '../lib/chain.mjs';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

test('connect gives up on a node that accepts the connection but never answers', { timeout: 30_000 }, async () => {
  const sockets = new Set();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"jsonrpc":"2.0","id":1,"result":{"peers":0,"isSyncing":false,"shouldHavePeers":false}}');
  });
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${WS_GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${server.address().port}`;
  try {
    const started = Date.now();
    await assert.rejects(connect(url, 3_000), /answered but its API was not ready within 3 s/);
    assert.ok(Date.now() - started < 10_000, 'it gave up at its timeout');
    assert.ok(sockets.size >= 1, 'the stand-in was reached over WebSocket');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
