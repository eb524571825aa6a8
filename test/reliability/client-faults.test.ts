// A client that vanishes mid-message, resets, half-closes, opens and never sends, or trickles
// (slowloris): each is handled on its own connection, logged at most once, its backend
// connection released, and the proxy keeps serving everyone else. The control API bounds slow
// clients with its header and request timeouts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { VaurienProxy } from '../../lib/proxy/proxy.js';
import { startApi } from '../api/harness.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { settle } from '../helpers/process-stats.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { rawClient, startEchoServer, startTcpServer } from '../helpers/sockets.js';

const redisServer = redisServerForFile();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the proxy has no connection left open (or after `timeoutMs`, with the count). */
const openConnections = (proxy: VaurienProxy, timeoutMs = 3000): Promise<number> =>
  settle(() => proxy.stats().connections.open, (open) => open === 0, timeoutMs);

/** How many clients redis has, the direct one included. */
async function redisClients(direct: { info(section: string): Promise<string> }): Promise<number> {
  return Number(/connected_clients:(\d+)/.exec(await direct.info('clients'))?.[1]);
}

/** Polls redis until it has `count` clients (or 2 s pass); returns the last count. */
async function redisClientsReaching(direct: { info(section: string): Promise<string> }, count: number): Promise<number> {
  let clients = await redisClients(direct);
  for (let tries = 0; clients !== count && tries < 100; tries++) {
    await sleep(20);
    clients = await redisClients(direct);
  }
  return clients;
}

/** Resolves when the backend side of a connection sees it end (FIN or reset). */
function endOf(socket: Socket): Promise<'end' | 'reset'> {
  return new Promise((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', () => resolve('reset'));
    socket.once('close', () => resolve('end'));
  });
}

test('a client that vanishes mid-command: redis drops its connection, the proxy holds nothing, others are served', { timeout: 20_000 }, async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const log = recordingLogger('debug');
  const { port, proxy } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', log });
  const baseline = await redisClients(redis.direct);
  const ghosts: Socket[] = [];
  for (let n = 0; n < 20; n++) {
    const ghost = connect({ port, host: '127.0.0.1' });
    ghost.on('error', () => {});
    await new Promise((resolve) => ghost.once('connect', resolve));
    // Half a SET: its value announces 100 bytes and 3 come.
    ghost.write(`*3\r\n$3\r\nSET\r\n$5\r\nghost\r\n$100\r\nabc`);
    ghosts.push(ghost);
  }
  assert.equal(await redisClientsReaching(redis.direct, baseline + 20), baseline + 20, 'the half commands never reached redis');
  for (const [n, ghost] of ghosts.entries()) {
    if (n % 2 === 0) ghost.destroy();
    else ghost.resetAndDestroy();
  }
  assert.equal(await openConnections(proxy), 0, 'the proxy kept connections of vanished clients');
  assert.equal(await redisClientsReaching(redis.direct, baseline), baseline, 'redis still has connections of vanished clients');
  assert.equal(await redis.direct.exists('ghost'), 0, 'a half command was completed');
  for (let index = 1; index <= 20; index++) {
    const lines = log.lines.filter((line) => line.includes(`#${index} `));
    assert.ok(lines.length <= 1, `connection #${index} logged ${lines.length} lines:\n${lines.join('\n')}`);
  }
  const client = await rawClient(t, port);
  client.socket.write('*1\r\n$4\r\nPING\r\n');
  assert.equal((await client.waitFor(7)).toString(), '+PONG\r\n');
});

test('a client reset reaches the backend as a reset, on that connection only', { timeout: 20_000 }, async (t) => {
  const ends: Array<Promise<'end' | 'reset'>> = [];
  const backend = await startTcpServer(t, (socket) => {
    ends.push(endOf(socket));
    socket.pipe(socket);
  });
  const { port, proxy } = await startTestProxy(t, { backend: backend.address });
  const victim = await rawClient(t, port);
  const bystander = await rawClient(t, port);
  victim.socket.write('half a message');
  await victim.waitFor(14);
  victim.socket.resetAndDestroy();
  assert.equal(await ends[0], 'reset');
  bystander.socket.write('still here');
  assert.equal((await bystander.waitFor(10)).toString(), 'still here');
  bystander.socket.destroy();
  assert.equal(await openConnections(proxy), 0);
});

test('a client that half-closes after its request still gets the whole answer (http and a real redis)', { timeout: 20_000 }, async (t) => {
  // An HTTP backend that answers only once the client is done sending.
  const http = await startTcpServer(t, (socket) => {
    let request = '';
    socket.on('data', (data: Buffer) => (request += data.toString()));
    socket.on('end', () => socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${request.length}\r\nConnection: close\r\n\r\n${request}`));
  });
  const proxy = await startTestProxy(t, { backend: http.address, protocol: 'http' });
  const client = await rawClient(t, proxy.port);
  client.socket.end('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
  await client.ended;
  assert.match(client.received().toString(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nPOST \/x HTTP\/1\.1\r\n[^]*\r\n\r\nhi$/);

  const redis = await redisServer(t);
  if (redis === undefined) return;
  const redisProxy = await startTestProxy(t, { backend: redis.address, protocol: 'redis' });
  const redisClient = await rawClient(t, redisProxy.port);
  redisClient.socket.end('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nbye\r\n');
  await redisClient.ended;
  assert.equal(redisClient.received().toString(), '+PONG\r\n$3\r\nbye\r\n');
});

for (const protocol of ['tcp', 'http', 'smtp']) {
  test(`${protocol}: a client that connects and never sends is closed after the idle --timeout, its backend connection too`, { timeout: 20_000 }, async (t) => {
    const backendEnds: Array<Promise<'end' | 'reset'>> = [];
    const backend = await startTcpServer(t, (socket) => {
      backendEnds.push(endOf(socket));
      socket.resume();
      if (protocol === 'smtp') socket.write('220 mail.example ESMTP\r\n');
    });
    const { port, proxy } = await startTestProxy(t, { backend: backend.address, protocol, timeout: 0.4 });
    const started = performance.now();
    const client = await rawClient(t, port);
    await client.ended;
    const took = performance.now() - started;
    assert.ok(took >= 350 && took < 3000, `closed after ${took} ms`);
    if (protocol === 'smtp') assert.equal(client.received().toString(), '220 mail.example ESMTP\r\n');
    await backendEnds[0];
    assert.equal(await openConnections(proxy), 0);
  });
}

test('slowloris on the proxy: silent half-requests are cut by the idle --timeout, trickling ones by the backend, and other clients are served meanwhile', { timeout: 30_000 }, async (t) => {
  // The backend gives a head 2 s to arrive, as a real server would: longer than the proxy's idle 0.5 s.
  const backend = createHttpServer({ headersTimeout: 2000, requestTimeout: 2000, connectionsCheckingInterval: 100 }, (_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    backend.closeAllConnections();
    backend.close();
  });
  const { port, proxy } = await startTestProxy(t, { backend: `127.0.0.1:${(backend.address() as AddressInfo).port}`, protocol: 'http', timeout: 0.5 });

  let slowOpen = 0;
  const loris = async (trickle: boolean): Promise<{ took: number; answer: string }> => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    slowOpen++;
    socket.once('close', () => slowOpen--);
    const started = performance.now();
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    // A trickling client sends a header byte every 200 ms (never idle for --timeout); a silent one stops here.
    const timer = trickle ? setInterval(() => socket.write('X'), 200) : undefined;
    await closed;
    clearInterval(timer);
    return { took: performance.now() - started, answer };
  };
  const silent = Array.from({ length: 50 }, () => loris(false));
  const trickling = Array.from({ length: 50 }, () => loris(true));
  // Meanwhile, ordinary requests are answered, without waiting for the slow clients to go.
  await settle(() => slowOpen, (open) => open === 100, 3000);
  for (let n = 0; n < 10; n++) {
    const started = performance.now();
    const response = await request(`http://127.0.0.1:${port}/`, { reset: true });
    assert.equal(await response.body.text(), 'ok');
    assert.ok(performance.now() - started < 1000, `a request took ${performance.now() - started} ms among the slow clients`);
    if (n === 0) assert.ok(slowOpen >= 50, `the first request was answered only once the slow clients were gone (${slowOpen} left)`);
    await sleep(25);
  }
  for (const { took } of await Promise.all(silent)) assert.ok(took >= 450 && took < 1500, `a silent client was cut after ${took} ms, not by the idle --timeout`);
  for (const { took, answer } of await Promise.all(trickling)) {
    assert.ok(took >= 1900 && took < 6000, `a trickling client was cut after ${took} ms, not by the backend`);
    assert.match(answer, /^(HTTP\/1\.1 408 |$)/);
  }
  assert.equal(await openConnections(proxy), 0);
});

test('slowloris on the control API: a trickled body is cut by the request timeout, and the API answers others meanwhile', { timeout: 20_000 }, async (t: TestContext) => {
  const echo = await startEchoServer(t);
  const { api, call } = await startApi(t, { backend: echo.address }, { headersTimeoutMs: 300, requestTimeoutMs: 600 });
  const started = performance.now();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () => socket.write('PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{'));
    const timer = setInterval(() => socket.write(' '), 100);
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => {
      clearInterval(timer);
      resolve(text);
    });
    socket.on('error', () => {});
  });
  const took = performance.now() - started;
  assert.ok(took >= 550 && took < 3000, `closed after ${took} ms`);
  assert.match(answer, /^(HTTP\/1\.1 408 |$)/);
  assert.equal((await call('GET', '/behavior')).json.behavior, 'dummy');
});
