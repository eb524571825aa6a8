import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startTestProxy } from '../helpers/proxy.js';
import { roundTrip, startEchoServer, startTcpServer, rawClient } from '../helpers/sockets.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('a 20 MB random payload crosses tcp dummy byte-exact', async (t) => {
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address });
  const payload = randomBytes(20 * 1024 * 1024);
  const back = await roundTrip(port, payload);
  assert.equal(back.length, payload.length);
  assert.equal(sha(back), sha(payload));
});

test('200 concurrent connections each get their own bytes back, intact', async (t) => {
  const echo = await startEchoServer(t);
  const { port, proxy } = await startTestProxy(t, { backend: echo.address });
  const payloads = Array.from({ length: 200 }, (_, i) => randomBytes(20_000 + i * 997));
  const results = await Promise.all(payloads.map((payload) => roundTrip(port, payload)));
  results.forEach((back, i) => assert.ok(back.equals(payloads[i] as Buffer), `connection ${i} got other bytes`));
  assert.equal(proxy.stats().connections.total, 200);
});

test('a client half-close still lets the backend answer afterwards', async (t) => {
  // The backend waits for the client's FIN before it says anything.
  const backend = await startTcpServer(t, (socket) => {
    const parts: Buffer[] = [];
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.on('end', () => socket.end(Buffer.concat([Buffer.from('got:'), ...parts])));
  });
  const { port } = await startTestProxy(t, { backend: backend.address });
  const back = await roundTrip(port, Buffer.from('hello'));
  assert.equal(back.toString(), 'got:hello');
});

test('the backend speaking first reaches the client', async (t) => {
  const backend = await startTcpServer(t, (socket) => socket.end('220 ready\r\n'));
  const { port } = await startTestProxy(t, { backend: backend.address });
  const client = await rawClient(t, port);
  assert.equal((await client.waitFor(11)).toString(), '220 ready\r\n');
});

test('a refused backend gives the tcp client a closed connection', async (t) => {
  const backend = await startTcpServer(t, () => {});
  const address = backend.address;
  await new Promise((resolve) => backend.server.close(resolve));
  const { port, proxy } = await startTestProxy(t, { backend: address });
  const client = await rawClient(t, port);
  await client.ended;
  assert.equal(client.received().length, 0);
  // and the proxy keeps accepting
  const again = await rawClient(t, port);
  await again.ended;
  assert.equal(proxy.stats().connections.total, 2);
});
