// Every behavior through the tcp protocol, against a real backend, checking what the client sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startTestProxy } from '../helpers/proxy.js';
import { rawClient, startEchoServer, startTcpServer, type RawClient, type TestServer } from '../helpers/sockets.js';

/** An echo backend that also records every byte it received. */
async function recordingEcho(t: Parameters<typeof startEchoServer>[0]): Promise<TestServer & { received: () => string }> {
  const parts: Buffer[] = [];
  const server = await startTcpServer(t, (socket: Socket) => {
    socket.on('data', (data: Buffer) => {
      parts.push(data);
      socket.write(data);
    });
    socket.on('end', () => socket.end());
  });
  return { ...server, received: () => Buffer.concat(parts).toString() };
}

/** Sends `text`, waits for `expected` bytes, returns them and the time it took. */
async function exchange(client: RawClient, text: string, expected: number): Promise<{ reply: Buffer; ms: number }> {
  const before = client.received().length;
  const started = performance.now();
  client.socket.write(text);
  const all = await client.waitFor(before + expected);
  return { reply: all.subarray(before), ms: performance.now() - started };
}

const quiet = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('dummy echoes a message unchanged', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address });
  const client = await rawClient(t, port);
  const { reply } = await exchange(client, 'hello', 5);
  assert.equal(reply.toString(), 'hello');
});

test('delay (before) holds the request for `sleep` seconds', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.2 } } });
  const client = await rawClient(t, port);
  const answered = exchange(client, 'slow', 4);
  await quiet(100);
  assert.equal(echo.received(), '', 'the backend got the request before the delay');
  const { reply, ms } = await answered;
  assert.equal(reply.toString(), 'slow');
  assert.ok(ms >= 190 && ms < 2000, `took ${ms} ms`);
});

test('delay (before=false) holds the answer, the backend gets the request at once', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.3, before: false } } });
  const client = await rawClient(t, port);
  const started = performance.now();
  client.socket.write('late');
  await quiet(100);
  assert.equal(echo.received(), 'late', 'the request should go out at once');
  assert.equal(client.received().length, 0, 'the answer arrived before the delay');
  await client.waitFor(4);
  assert.ok(performance.now() - started >= 290);
});

test('error answers 1000 random bytes and never forwards the request', async (t) => {
  const echo = await recordingEcho(t);
  const { port, proxy } = await startTestProxy(t, { backend: echo.address, behavior: '100:error' });
  const client = await rawClient(t, port);
  const { reply } = await exchange(client, 'secret', 1000);
  await quiet(50);
  assert.equal(reply.length, 1000);
  assert.notEqual(reply.subarray(0, 6).toString(), 'secret');
  assert.equal(echo.received(), '', 'the backend saw the request');
  assert.equal(proxy.stats().faults['error'], 1);
});

test('error with inject forwards the request and puts 100 random bytes inside the answer', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:error', behaviorOptions: { error: { inject: true } } });
  const client = await rawClient(t, port);
  const payload = 'abcdefghijklmnopqrst';
  const { reply } = await exchange(client, payload, payload.length + 100);
  assert.equal(echo.received(), payload);
  assert.equal(reply.length, payload.length + 100);
  assert.equal(reply.subarray(0, 10).toString(), payload.slice(0, 10));
  assert.equal(reply.subarray(110).toString(), payload.slice(10));
});

test('error with warmup lets the first exchanges through, then errors', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:error', behaviorOptions: { error: { warmup: 2 } } });
  const client = await rawClient(t, port);
  assert.equal((await exchange(client, 'one', 3)).reply.toString(), 'one');
  assert.equal((await exchange(client, 'two', 3)).reply.toString(), 'two');
  const third = await exchange(client, 'six', 1000);
  assert.equal(third.reply.length, 1000);
  assert.equal(echo.received(), 'onetwo');
});

test('transient errors for `agitate` exchanges, then behaves like dummy', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:transient', behaviorOptions: { transient: { agitate: 2 } } });
  const client = await rawClient(t, port);
  assert.equal((await exchange(client, 'a', 1000)).reply.length, 1000);
  assert.equal((await exchange(client, 'b', 1000)).reply.length, 1000);
  assert.equal((await exchange(client, 'ok', 2)).reply.toString(), 'ok');
  assert.equal((await exchange(client, 'ok', 2)).reply.toString(), 'ok');
  assert.equal(echo.received(), 'okok');
});

test('hang reads the request, never forwards it, never answers, keeps the connection open', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:hang' });
  const client = await rawClient(t, port);
  client.socket.write('anyone?');
  const outcome = await Promise.race([client.ended.then(() => 'closed'), quiet(400).then(() => 'open')]);
  assert.equal(outcome, 'open');
  assert.equal(client.received().length, 0);
  assert.equal(echo.received(), '');
});

test('hang is cut by the idle --timeout unless told to stay connected', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:hang', timeout: 0.3 });
  const client = await rawClient(t, port);
  client.socket.write('anyone?');
  const started = performance.now();
  await client.ended;
  const waited = performance.now() - started;
  assert.ok(waited >= 250 && waited < 3000, `closed after ${waited} ms`);
});

test('blackout closes the client connection at once and forwards nothing', async (t) => {
  const echo = await recordingEcho(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '100:blackout' });
  const client = await rawClient(t, port);
  client.socket.write('knock');
  await client.ended;
  assert.equal(client.received().length, 0);
  await quiet(50);
  assert.equal(echo.received(), '');
});

test('abort forwards the request, then closes both connections before the answer', async (t) => {
  let backendClosed!: () => void;
  const closed = new Promise<void>((resolve) => (backendClosed = resolve));
  const parts: Buffer[] = [];
  const backend = await startTcpServer(t, (socket) => {
    socket.on('data', (data: Buffer) => parts.push(data)); // answers only later, too late
    socket.on('end', () => backendClosed());
    socket.on('close', () => backendClosed());
  });
  const { port } = await startTestProxy(t, { backend: backend.address, behavior: '100:abort' });
  const client = await rawClient(t, port);
  client.socket.write('do-it');
  await client.ended;
  await closed;
  assert.equal(Buffer.concat(parts).toString(), 'do-it', 'the backend did not get the request');
  assert.equal(client.received().length, 0);
});

test('30:error picks error for a binomial share of 1000 exchanges on one connection', async (t) => {
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: '30:error', seed: 7 });
  const client = await rawClient(t, port);
  let errors = 0;
  let echoes = 0;
  for (let i = 0; i < 1000; i++) {
    const token = `token-${String(i).padStart(10, '0')}`; // 16 bytes
    const before = client.received().length;
    client.socket.write(token);
    const got = (await client.waitFor(before + token.length)).subarray(before);
    if (got.subarray(0, token.length).toString() === token) echoes++;
    else {
      await client.waitFor(before + 1000);
      errors++;
    }
  }
  // mean 300, sigma = sqrt(1000 * 0.3 * 0.7) ≈ 14.5; allow 5 sigma
  assert.ok(Math.abs(errors - 300) < 73, `${errors} errors`);
  assert.equal(errors + echoes, 1000);
});
