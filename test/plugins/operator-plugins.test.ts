// Third-party plugins written with plain RxJS operators (delay, take, map with its index,
// bufferCount), end to end through the proxy: a chunked HTTP POST, and pipelined Redis commands
// from ioredis. Each operator is subscribed once per side of an exchange, so it means what
// RxJS documents across the side's messages.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadBehaviorPlugin } from '../../lib/index.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { startTcpServer, type TestServer } from '../helpers/sockets.js';

const redisServer = redisServerForFile();
const FIXTURE = fileURLToPath(new URL('../fixtures/plugins/operators.js', import.meta.url));
const plugins = await import(FIXTURE);
const seen: Array<[string, number, number]> = plugins.seen;
const groups: number[] = plugins.groups;
for (const name of ['indexRecorder', 'takeFirst', 'slowSide', 'pairs']) await loadBehaviorPlugin(`${FIXTURE}#${name}`, process.cwd());

const HEAD = 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
const CHUNKS = ['8\r\nabcdefgh\r\n', '8\r\nijklmnop\r\n', '8\r\nqrstuvwx\r\n0\r\n\r\n'];
const REQUEST = HEAD + CHUNKS.join('');
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** An HTTP backend that records the bytes it gets and answers once the chunked body has ended. */
async function recordingHttpBackend(t: TestContext): Promise<TestServer & { received(): string }> {
  let received = '';
  const server = await startTcpServer(t, (socket: Socket) => {
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.endsWith('0\r\n\r\n')) socket.write(RESPONSE);
    });
    socket.on('error', () => {});
  });
  return { ...server, received: () => received };
}

/** Sends the POST in pieces 15 ms apart (separate chunks) and resolves with the answer, or '' after `waitMs`. */
function chunkedPost(port: number, waitMs = 2000): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (): void => {
      socket.destroy();
      resolve({ answer, ms: performance.now() - started });
    };
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.endsWith('ok')) done();
    });
    socket.on('error', done);
    setTimeout(done, waitMs);
    const pieces = [HEAD, ...CHUNKS];
    const send = (at: number): void => {
      if (at === pieces.length || socket.destroyed) return;
      socket.write(pieces[at] as string);
      setTimeout(() => send(at + 1), 15);
    };
    socket.on('connect', () => send(0));
  });
}

/** The proxy in front of the HTTP backend; `buffer: 8` cuts the body into messages of at most 8 bytes. */
async function httpProxy(t: TestContext, behavior: string, backend: TestServer): Promise<number> {
  const { port } = await startTestProxy(t, { backend: backend.address, protocol: 'http', protocolOptions: { buffer: 8 }, behavior });
  return port;
}

test('map((m, i) => …) sees i = 0, 1, 2… across the messages of each side of a chunked POST', async (t) => {
  const backend = await recordingHttpBackend(t);
  seen.length = 0;
  const { answer } = await chunkedPost(await httpProxy(t, '100:index-recorder', backend));
  assert.equal(answer, RESPONSE);
  assert.equal(backend.received(), REQUEST);
  for (const direction of ['request', 'response']) {
    const indexes = seen.filter(([side]) => side === direction).map(([, , index]) => index);
    assert.ok(indexes.length >= (direction === 'request' ? 4 : 2), `${direction}: ${indexes.length} messages`);
    assert.deepEqual(indexes, indexes.map((_, at) => at), `${direction}: indexes ${indexes.join()}`);
  }
});

test('delay(100) holds the request side once: the POST of 4+ messages takes about 100 ms more, not 100 ms per message', async (t) => {
  const backend = await recordingHttpBackend(t);
  const direct = await chunkedPost(backend.port);
  const delayed = await chunkedPost(await httpProxy(t, '100:slow-side', backend));
  assert.equal(delayed.answer, RESPONSE);
  t.diagnostic(`direct ${direct.ms.toFixed(0)} ms, through slow-side ${delayed.ms.toFixed(0)} ms`);
  assert.ok(delayed.ms - direct.ms >= 90, `only ${(delayed.ms - direct.ms).toFixed(0)} ms later`);
  assert.ok(delayed.ms - direct.ms < 300, `${(delayed.ms - direct.ms).toFixed(0)} ms later: delayed per message`);
});

test('take(1) forwards the first message of the request only (the head), and no more', async (t) => {
  const backend = await recordingHttpBackend(t);
  const { answer } = await chunkedPost(await httpProxy(t, '100:take-first', backend), 400);
  assert.equal(answer, '', 'the backend never got a whole request to answer');
  assert.equal(backend.received(), HEAD);
});

test('bufferCount(2) forwards the request in pairs of messages: every byte arrives, in order', async (t) => {
  const backend = await recordingHttpBackend(t);
  groups.length = 0;
  const { answer } = await chunkedPost(await httpProxy(t, '100:pairs', backend));
  assert.equal(answer, RESPONSE);
  assert.equal(backend.received(), REQUEST);
  assert.ok(groups.filter((size) => size === 2).length >= 2, `groups of ${groups.join(', ')} messages`);
});

async function pipelinedRedis(t: TestContext, behavior: string, count: number): Promise<{ results: unknown[]; ms: number } | undefined> {
  const redis = await redisServer(t);
  if (redis === undefined) return undefined;
  const { port } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', behavior, seed: 4 });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  await client.connect();
  const pipeline = client.pipeline();
  for (let n = 0; n < count; n++) pipeline.set(`k${n}`, `v${n}`).get(`k${n}`);
  const started = performance.now();
  const results = (await pipeline.exec()) ?? [];
  return { results: results.map(([error, value]) => error ?? value), ms: performance.now() - started };
}

const expected = (count: number): unknown[] => Array.from({ length: count }, (_, n) => ['OK', `v${n}`]).flat();

test('pipelined redis commands: each command is one side, index 0, and every reply is right', async (t) => {
  seen.length = 0;
  const run = await pipelinedRedis(t, '100:index-recorder', 50);
  if (run === undefined) return;
  assert.deepEqual(run.results, expected(50));
  const requests = seen.filter(([side]) => side === 'request');
  assert.equal(new Set(requests.map(([, exchange]) => exchange)).size, requests.length, 'one message per command');
  assert.ok(seen.every(([, , index]) => index === 0));
});

test('pipelined redis commands with delay(20) on 30 %: answers stay in order, the delayed ones one after another', async (t) => {
  const run = await pipelinedRedis(t, '30:slow-side', 50);
  if (run === undefined) return;
  assert.deepEqual(run.results, expected(50));
  // About 30 of the 100 commands wait 20 ms each, in turn: later commands wait behind them.
  assert.ok(run.ms >= 15 * 20, `${run.ms.toFixed(0)} ms`);
});

test('pipelined redis commands with bufferCount(2) and take(1): one-message sides go through whole', async (t) => {
  for (const behavior of ['100:pairs', '100:take-first']) {
    const run = await pipelinedRedis(t, behavior, 20);
    if (run === undefined) return;
    assert.deepEqual(run.results, expected(20), behavior);
  }
});
