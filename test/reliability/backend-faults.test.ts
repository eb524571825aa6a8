// A backend that refuses, stalls, dies mid-answer, resets or restarts: each is handled on the
// connection it hits, logged once, and the proxy keeps serving. A real redis-server killed and
// restarted under ioredis: errors during the outage, recovery after, the same proxy throughout.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { requireBinary } from '../helpers/backends.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { startTestProxy } from '../helpers/proxy.js';
import { freePort, rawClient, startEchoServer, startTcpServer } from '../helpers/sockets.js';
import { startStuckListener } from '../helpers/stuck-listener.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a first request looks like in each protocol (the server-first ones send nothing). */
const FIRST_REQUEST: Record<string, string> = {
  tcp: 'hello',
  http: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  redis: '*1\r\n$4\r\nPING\r\n',
  memcache: 'version\r\n',
  smtp: '',
  mysql: '',
  postgres: '\x00\x00\x00\x16\x00\x03\x00\x00user\x00vaurien\x00\x00',
};

/** What a client of each protocol gets from a refused backend before its connection closes. */
const REFUSED_ANSWER: Record<string, RegExp> = {
  tcp: /^$/,
  http: /^HTTP\/1\.1 502 Bad Gateway\r\n[^]*Connection: close\r\n/,
  redis: /^$/,
  memcache: /^$/,
  smtp: /^421 /,
  mysql: /^$/,
  // An ErrorResponse: FATAL, SQLSTATE 08006 (connection_failure).
  postgres: /^E\x00\x00\x00.SFATAL\x00VFATAL\x00C08006\x00M[^\x00]+\x00\x00$/,
};

async function closedPort(t: TestContext): Promise<string> {
  const server = await startTcpServer(t, () => {});
  await new Promise((resolve) => server.server.close(resolve));
  return server.address;
}

for (const protocol of Object.keys(FIRST_REQUEST)) {
  const refusal = protocol === 'http' ? 'a 502' : protocol === 'smtp' ? 'a 421 greeting' : protocol === 'postgres' ? 'a FATAL ErrorResponse' : 'a closed connection';
  test(`${protocol}: a backend that refuses gives the client ${refusal}, logged once, and the next client is served once it is back`, { timeout: 15_000 }, async (t) => {
    const address = await closedPort(t);
    const log = recordingLogger('debug');
    const { port, proxy } = await startTestProxy(t, { backend: address, protocol, log });
    const client = await rawClient(t, port);
    client.socket.write(FIRST_REQUEST[protocol] as string);
    const started = performance.now();
    await client.ended;
    assert.ok(performance.now() - started < 2000, 'the client waited for a backend that refused');
    assert.match(client.received().toString('latin1'), REFUSED_ANSWER[protocol] as RegExp);
    const lines = log.lines.filter((line) => line.includes('#1 '));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] as string, /^\[warning\] #1 .* unavailable: ECONNREFUSED/);

    const echo = await startEchoServer(t);
    proxy.setBackend(echo.address);
    const next = await rawClient(t, port);
    const hello = protocol === 'mysql' ? '\x01\x00\x00\x00\x0e' : FIRST_REQUEST[protocol] || 'EHLO client\r\n';
    next.socket.write(hello);
    assert.equal((await next.waitFor(hello.length)).toString(), hello);
  });
}

test('a backend that accepts then stalls: the idle --timeout closes the client, the backend connection goes too', { timeout: 15_000 }, async (t) => {
  const backendClosed: Array<Promise<void>> = [];
  // Reads (so it sees the proxy's FIN or reset) but never answers.
  const backend = await startTcpServer(t, (socket) => {
    socket.resume();
    // allowHalfOpen: the proxy's FIN shows as 'end' (a reset as 'close').
    backendClosed.push(new Promise((resolve) => (socket.once('end', () => resolve()), socket.once('close', () => resolve()))));
  });
  const { port } = await startTestProxy(t, { backend: backend.address, protocol: 'http', timeout: 0.5 });
  const client = await rawClient(t, port);
  client.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  const started = performance.now();
  await client.ended;
  const took = performance.now() - started;
  assert.ok(took >= 450 && took < 3000, `closed after ${took} ms`);
  assert.equal(client.received().length, 0);
  assert.equal(backendClosed.length, 1);
  const closed = await Promise.race([backendClosed[0], sleep(1000).then(() => 'still open')]);
  assert.notEqual(closed, 'still open', 'the stalled backend connection was left open');
});

test('a backend whose connect never completes: after --timeout the client gets the 502, logged as a connect timeout', { timeout: 15_000 }, async (t) => {
  const stuck = await startStuckListener(t);
  const log = recordingLogger('debug');
  const { port, proxy } = await startTestProxy(t, { backend: stuck, protocol: 'http', timeout: 0.5, log });
  const client = await rawClient(t, port);
  client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const started = performance.now();
  await client.ended;
  const took = performance.now() - started;
  assert.ok(took >= 450 && took < 3000, `answered after ${took} ms`);
  assert.match(client.received().toString('latin1'), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.ok(log.lines.some((line) => /#1 .*unavailable: connect timeout/.test(line)), log.lines.join('\n'));
  await sleep(100);
  assert.equal(proxy.stats().connections.open, 0);
});

test('a backend that dies mid-answer: the client gets what was sent, then a closed connection; others are served', { timeout: 15_000 }, async (t) => {
  const log = recordingLogger('debug');
  // Half an HTTP answer (it announces 1000 bytes and sends 500), then the backend is gone.
  const dying = await startTcpServer(t, (socket) => {
    socket.once('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(500)}`);
      setTimeout(() => socket.destroy(), 50);
    });
  });
  const { port, proxy } = await startTestProxy(t, { backend: dying.address, protocol: 'http', log });
  const client = await rawClient(t, port);
  client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await client.ended, 'end');
  const got = client.received().toString();
  assert.match(got, /^HTTP\/1\.1 200 OK\r\nContent-Length: 1000\r\n\r\n/);
  assert.equal(got.split('\r\n\r\n')[1], 'x'.repeat(500), 'the half answer did not arrive whole');
  // A real client library reports the truncated answer as an error.
  const failed = await request(`http://127.0.0.1:${port}/`)
    .then((response) => response.body.text())
    .then(
      (body) => `a body of ${body.length} bytes`,
      (error: Error) => error.message,
    );
  assert.match(failed, /other side closed|terminated|socket/i);
  assert.ok(log.lines.filter((line) => line.includes('#1 ')).length <= 1, log.lines.join('\n'));

  const echo = await startEchoServer(t);
  proxy.setBackend(echo.address);
  const next = await rawClient(t, port);
  next.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal((await next.waitFor(27)).toString(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
});

test('a backend that resets: the client sees its connection end at once, and a concurrent connection is untouched', { timeout: 15_000 }, async (t) => {
  const log = recordingLogger('debug');
  let count = 0;
  const backend = await startTcpServer(t, (socket) => {
    const reset = ++count === 1;
    socket.on('data', (data: Buffer) => {
      if (reset) socket.resetAndDestroy();
      else socket.write(data);
    });
  });
  const { port } = await startTestProxy(t, { backend: backend.address, log });
  const victim = await rawClient(t, port);
  await sleep(20);
  const bystander = await rawClient(t, port);
  bystander.socket.write('before ');
  await bystander.waitFor(7);
  victim.socket.write('boom');
  const started = performance.now();
  await victim.ended;
  assert.ok(performance.now() - started < 1000);
  assert.equal(victim.received().length, 0);
  bystander.socket.write('after');
  assert.equal((await bystander.waitFor(12)).toString(), 'before after');
  const lines = log.lines.filter((line) => line.includes('#1 '));
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0] as string, /backend error: ECONNRESET/);
  assert.equal(log.lines.filter((line) => line.includes('#2 ')).length, 0);
});

// ---------- a real redis-server, killed and restarted on the same port ----------

async function startRedisOn(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], { stdio: 'ignore' });
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const probe = connect({ port, host: '127.0.0.1' }, () => probe.write('PING\r\n'));
      probe.on('data', (data: Buffer) => {
        probe.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      probe.on('error', () => resolve(false));
    });
    if (up) return child;
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on ${port} did not answer PING`);
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('redis-server killed and restarted on the same port: ioredis gets errors during the outage and recovers through the same proxy', { timeout: 60_000 }, async (t) => {
  const binary = requireBinary(t, 'redis-server');
  if (binary === undefined) return;
  const redisPort = await freePort();
  let redis = await startRedisOn(binary, redisPort);
  t.after(() => killed(redis));
  const { port, proxy } = await startTestProxy(t, { backend: `127.0.0.1:${redisPort}`, protocol: 'redis', timeout: 2 });
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50, lazyConnect: true });
  t.after(() => client.disconnect());
  client.on('error', () => {});
  await client.connect();

  // One command at a time, for as long as the test runs: what each one got, and when.
  const outcomes: Array<{ at: number; done: number; ok: boolean }> = [];
  let running = true;
  let sequence = 0;
  const loop = (async () => {
    while (running) {
      const n = ++sequence;
      const at = performance.now();
      try {
        await client.set('counter', String(n));
        assert.equal(await client.get('counter'), String(n), 'a reply answered another command');
        outcomes.push({ at, done: performance.now(), ok: true });
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        outcomes.push({ at, done: performance.now(), ok: false });
      }
      await sleep(10);
    }
  })();

  await sleep(500);
  const killedAt = performance.now();
  await killed(redis);
  await sleep(1000);
  // During the outage the proxy still answers new connections at once (closing them).
  const probe = await rawClient(t, port);
  probe.socket.write('*1\r\n$4\r\nPING\r\n');
  const probeStarted = performance.now();
  await probe.ended;
  assert.ok(performance.now() - probeStarted < 1000, 'a connection during the outage was left hanging');
  const restartedAt = performance.now();
  redis = await startRedisOn(binary, redisPort);
  const deadline = performance.now() + 10_000;
  while (!outcomes.some((outcome) => outcome.ok && outcome.at > restartedAt) && performance.now() < deadline) await sleep(50);
  await sleep(300);
  running = false;
  await loop;

  // By when they were answered (or failed): a command sent just before the kill may fail.
  const before = outcomes.filter((outcome) => outcome.done < killedAt);
  const during = outcomes.filter((outcome) => outcome.at > killedAt + 100 && outcome.done < restartedAt);
  const after = outcomes.filter((outcome) => outcome.at > restartedAt);
  t.diagnostic(`before: ${before.length} commands; outage: ${during.length} (${during.filter((o) => o.ok).length} ok); after: ${after.length} (${after.filter((o) => o.ok).length} ok)`);
  assert.ok(before.length > 5 && before.every((outcome) => outcome.ok), 'commands failed before the outage');
  assert.ok(during.length > 0 && during.every((outcome) => !outcome.ok), 'commands succeeded while redis was down');
  assert.ok(after.some((outcome) => outcome.ok), 'ioredis never recovered after the restart');
  assert.ok(after.slice(-5).every((outcome) => outcome.ok), 'commands still fail after the recovery');
  assert.equal(await client.set('after-restart', 'yes'), 'OK');
  assert.equal(await client.get('after-restart'), 'yes');
  assert.ok(proxy.stats().connections.total > 2, 'ioredis never reconnected through the proxy');
});
