// reuse_socket hands a backend connection to the next client only when nothing of the previous
// client can reach it (SPEC 9). Seen before: after one client's MULTI every later client got
// +QUEUED, after SELECT 5 the next saw db=5, and an HTTP Upgrade request followed by a second
// request gave the next client the attacker's response.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { rawClient, startTcpServer } from '../helpers/sockets.js';

const redisServer = redisServerForFile();

/** One client: sends `text`, reads until `done` matches, hangs up; what it read. */
async function client(t: TestContext, port: number, text: string, done: RegExp): Promise<string> {
  const raw = await rawClient(t, port);
  raw.socket.write(text);
  let got = '';
  while (!done.test(got)) got = (await raw.waitFor(got.length + 1)).toString('latin1');
  raw.socket.end();
  await raw.ended;
  await new Promise((resolve) => setTimeout(resolve, 30));
  return got;
}

async function redisProxy(t: TestContext): Promise<{ port: number; connectionsReceived: () => Promise<number> } | undefined> {
  const redis = await redisServer(t);
  if (redis === undefined) return undefined;
  const { port } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', protocolOptions: { reuse_socket: true } });
  const connectionsReceived = async (): Promise<number> => Number(/total_connections_received:(\d+)/.exec(await redis.direct.info('stats'))?.[1]);
  return { port, connectionsReceived };
}

test('a clean redis session is pooled: the next client reuses the backend connection', async (t) => {
  const proxy = await redisProxy(t);
  if (proxy === undefined) return;
  const before = await proxy.connectionsReceived();
  await client(t, proxy.port, 'SET pooled 1\r\n', /\+OK\r\n$/);
  assert.equal(await client(t, proxy.port, 'GET pooled\r\n', /1\r\n$/), '$1\r\n1\r\n');
  assert.equal((await proxy.connectionsReceived()) - before, 1, 'the backend connection was not reused');
});

test('after SELECT 5, the next client does not land in db 5', async (t) => {
  const port = (await redisProxy(t))?.port;
  if (port === undefined) return;
  await client(t, port, 'SELECT 5\r\n', /\+OK\r\n$/);
  const info = await client(t, port, 'CLIENT INFO\r\n', /\r\n$/);
  assert.match(info, / db=0 /);
});

test('after MULTI, the next client is not inside that transaction', async (t) => {
  const port = (await redisProxy(t))?.port;
  if (port === undefined) return;
  await client(t, port, 'MULTI\r\n', /\+OK\r\n$/);
  assert.equal(await client(t, port, 'SET after-multi 1\r\n', /\r\n$/), '+OK\r\n');
});

test('after SUBSCRIBE and CLIENT REPLY OFF, the next client gets its own answers', async (t) => {
  const port = (await redisProxy(t))?.port;
  if (port === undefined) return;
  await client(t, port, 'SUBSCRIBE news\r\n', /1\r\n$/);
  assert.equal(await client(t, port, 'PING\r\n', /\r\n$/), '+PONG\r\n');
  const off = await rawClient(t, port);
  off.socket.write('CLIENT REPLY OFF\r\nSET quiet 1\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  off.socket.end();
  await off.ended;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(await client(t, port, 'PING\r\n', /\r\n$/), '+PONG\r\n');
});

/** An HTTP/1.1 backend answering each request of a connection in order; `/attacker-2` takes 150 ms. */
async function pipeliningHttpBackend(t: TestContext): Promise<{ address: string; served: () => number }> {
  let served = 0;
  const server = await startTcpServer(t, (socket) => {
    let pending = '';
    let queue = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const url = pending.split(' ')[1] ?? '?';
        pending = pending.slice(end + 4);
        queue = queue.then(async () => {
          if (url === '/attacker-2') await new Promise((resolve) => setTimeout(resolve, 150));
          served++;
          const body = `for ${url}`;
          if (!socket.destroyed) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        });
      }
    });
    socket.on('error', () => {});
  });
  return { address: server.address, served: () => served };
}

test('an HTTP client that sent an Upgrade request and a second request cannot hand its answers to the next client', async (t) => {
  const backend = await pipeliningHttpBackend(t);
  const { port } = await startTestProxy(t, { backend: backend.address, protocol: 'http', protocolOptions: { reuse_socket: true } });
  const attacker = await rawClient(t, port);
  attacker.socket.write('GET /attacker-1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nGET /attacker-2 HTTP/1.1\r\nHost: x\r\n\r\n');
  attacker.socket.end();
  await attacker.ended;
  const victim = await client(t, port, 'GET /victim HTTP/1.1\r\nHost: x\r\n\r\n', /for \/\S+$/);
  assert.match(victim, /for \/victim$/, `the next client got: ${victim}`);
});
