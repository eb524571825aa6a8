// CLIENT REPLY OFF/SKIP/ON through a redis proxy: the commands redis will not answer await no
// answer in the proxy (before: a slot per command, 174 MB after 2 M SETs, kept for the
// connection's life, and injected errors queued behind answers that never came).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Connection } from '../../lib/proxy/connection.js';
import type { VaurienProxy } from '../../lib/proxy/proxy.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';

const redisServer = redisServerForFile();

function connectionsOf(proxy: VaurienProxy): Connection[] {
  return [...(proxy as unknown as { connections: Set<Connection> }).connections];
}

async function session(t: TestContext, behavior: string): Promise<{ socket: Socket; received: () => string; proxy: VaurienProxy } | undefined> {
  const redis = await redisServer(t);
  if (redis === undefined) return undefined;
  const { port, proxy } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', behavior, seed: 11 });
  const socket = connect({ port, host: '127.0.0.1' });
  t.after(() => socket.destroy());
  let received = '';
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received, proxy };
}

const sets = (count: number, from = 0): string => Array.from({ length: count }, (_, n) => `*3\r\n$3\r\nSET\r\n$${String(n + from).length + 1}\r\nk${n + from}\r\n$1\r\nv\r\n`).join('');

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('after CLIENT REPLY OFF, 100 000 SETs leave nothing awaited in the proxy, and ON brings answers back in step', async (t) => {
  const run = await session(t, '100:dummy');
  if (run === undefined) return;
  const { socket, received, proxy } = run;
  socket.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n');
  let most = 0;
  for (let batch = 0; batch < 10; batch++) {
    socket.write(sets(10_000, batch * 10_000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    most = Math.max(most, ...connectionsOf(proxy).map((connection) => connection.pipelines.pendingAnswers));
  }
  socket.write('CLIENT REPLY ON\r\nPING\r\n');
  await until(() => received().length >= '+OK\r\n+PONG\r\n'.length, 'the answers to ON and PING');
  assert.equal(received(), '+OK\r\n+PONG\r\n');
  assert.ok(most < 100, `${most} answers awaited while redis answered nothing`);
});

test('CLIENT REPLY SKIP silences exactly the next command', async (t) => {
  const run = await session(t, '100:dummy');
  if (run === undefined) return;
  run.socket.write('*3\r\n$6\r\nclient\r\n$5\r\nreply\r\n$4\r\nskip\r\nSET a 1\r\nGET a\r\n');
  await until(() => run.received().length >= '$1\r\n1\r\n'.length, 'the GET answer');
  assert.equal(run.received(), '$1\r\n1\r\n');
});

test('with 1:error under CLIENT REPLY OFF, injected errors are not sent (redis would not answer) and later answers are in step', async (t) => {
  const run = await session(t, '1:error');
  if (run === undefined) return;
  run.socket.write(`CLIENT REPLY OFF\r\n${sets(20_000)}CLIENT REPLY ON\r\nPING\r\nPING\r\n`);
  await until(() => (run.received().match(/\r\n/g) ?? []).length >= 3, 'three answers');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(run.received(), /^\+OK\r\n(\+PONG|-ERR vaurien injected error)\r\n(\+PONG|-ERR vaurien injected error)\r\n$/);
  assert.equal(connectionsOf(run.proxy)[0]?.pipelines.pendingAnswers, 0);
});
