// reuse_socket: backend connections outlive their clients and serve the next ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { startTestProxy } from '../helpers/proxy.js';
import { rawClient } from '../helpers/sockets.js';

async function countingHttpBackend(t: TestContext) {
  const stats = { connections: 0, requests: 0 };
  const server = createServer((request, response) => {
    stats.requests++;
    request.resume();
    response.end(`hello ${stats.requests}`);
  });
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { stats, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One client connection: one keep-alive GET, read the answer, hang up. */
async function oneClient(t: TestContext, port: number): Promise<string> {
  const client = await rawClient(t, port);
  client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  let text = '';
  while (!/\r\n\r\nhello \d+$/.test(text)) text = (await client.waitFor(text.length + 1)).toString();
  client.socket.end();
  await client.ended;
  return text;
}

for (const reuse of [true, false]) {
  test(`with reuse_socket=${reuse}, five clients in a row use ${reuse ? 'one backend connection' : 'five backend connections'}`, async (t) => {
    const backend = await countingHttpBackend(t);
    const { port } = await startTestProxy(t, { backend: backend.address, protocol: 'http', protocolOptions: { reuse_socket: reuse } });
    for (let i = 1; i <= 5; i++) {
      assert.match(await oneClient(t, port), new RegExp(`hello ${i}$`));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(backend.stats.requests, 5);
    assert.equal(backend.stats.connections, reuse ? 1 : 5);
  });
}

test('a pooled backend connection that the backend closed is dropped, the next client gets a fresh one', async (t) => {
  const stats = { connections: 0 };
  const server = createServer((request, response) => {
    request.resume();
    response.end('hello');
  });
  server.on('connection', () => stats.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = await startTestProxy(t, { backend: `127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: 'http', protocolOptions: { reuse_socket: true } });
  const ask = async (): Promise<string> => {
    const client = await rawClient(t, port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let text = '';
    while (!text.endsWith('hello')) text = (await client.waitFor(text.length + 1)).toString();
    client.socket.end();
    await client.ended;
    return text;
  };
  await ask();
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.closeIdleConnections(); // the backend hangs up on the pooled connection
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(await ask(), /200 OK[\s\S]*hello$/);
  assert.equal(stats.connections, 2);
});
