// Backpressure end to end, measured on a real `vaurien` process: a reader that stops (client or
// backend) makes the writer on the other side stop too, the proxy's RSS stays flat while a
// gigabyte goes through, and the stream resumes byte-exact. Same while delay or hang holds a
// message: the held socket is not read, nothing piles up in the proxy.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { bannerPort, startVaurien, type RunningVaurien } from '../helpers/cli.js';
import { receivePattern, sendPattern, type PatternSink, type PatternSource } from '../helpers/pattern.js';
import { MiB, rssBytes, watchRss } from '../helpers/process-stats.js';
import { startTcpServer } from '../helpers/sockets.js';

/** Bytes streamed past a stopped reader: 1 GB (VAURIEN_BACKPRESSURE_MB overrides, e.g. 64 for a quick run). */
const TOTAL = Number(process.env['VAURIEN_BACKPRESSURE_MB'] ?? 1024) * MiB;
/** Bytes streamed once a held message is released: the hold is what is tested, the rest is a check. */
const AFTER_HOLD = Math.min(TOTAL, 256 * MiB);
/** Most the proxy's RSS may grow over its idle figure while streaming. */
const RSS_GROWTH_LIMIT = 100 * MiB;
/**
 * Most a writer can push into a reader that reads nothing: the kernel buffers of the two hops
 * (a few MB each on loopback) plus what the proxy holds itself. The whole stream never fits.
 */
const STALLED_LIMIT = 48 * MiB;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startProxy(t: TestContext, backend: string, extra: string[] = []): Promise<{ vaurien: RunningVaurien; port: number; pid: number }> {
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', backend, '--log-level', 'error', ...extra]);
  const pid = vaurien.child.pid;
  assert.ok(pid !== undefined);
  return { vaurien, port: bannerPort(vaurien.banner), pid };
}

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Waits until the writer has stopped making progress (it is blocked), then returns what it sent. */
async function stalled(source: PatternSource): Promise<number> {
  let last = -1;
  while (source.sent() !== last) {
    last = source.sent();
    await sleep(300);
  }
  return last;
}

/** Pauses `reader` until its writer stalls, checks how far the writer got, and resumes it. */
async function pauseAndCheck(t: TestContext, what: string, reader: Socket, source: PatternSource, sink: PatternSink): Promise<void> {
  reader.pause();
  const sent = await stalled(source);
  const inFlight = sent - sink.received();
  t.diagnostic(`${what}: the writer stalled with ${(inFlight / MiB).toFixed(1)} MB in flight`);
  assert.ok(inFlight < STALLED_LIMIT, `${what}: ${(inFlight / MiB).toFixed(1)} MB went out towards a reader that reads nothing`);
  reader.resume();
}

/** Streams with the reader paused at the start and again halfway; returns the proxy's RSS growth. */
async function streamWithPauses(t: TestContext, what: string, pid: number, reader: Socket, source: PatternSource, sink: PatternSink): Promise<void> {
  const idle = rssBytes(pid);
  const rss = watchRss(pid);
  await pauseAndCheck(t, `${what}, paused from the start`, reader, source, sink);
  while (sink.received() < TOTAL / 2 && sink.error() === undefined) await sleep(20);
  await pauseAndCheck(t, `${what}, paused halfway`, reader, source, sink);
  const received = await sink.ended;
  const growth = rss.stop() - idle;
  t.diagnostic(`${what}: proxy RSS ${(idle / MiB).toFixed(0)} MB idle, grew by at most ${(growth / MiB).toFixed(1)} MB`);
  assert.equal(sink.error(), undefined);
  assert.equal(received, TOTAL, `${what}: ${received} of ${TOTAL} bytes arrived`);
  assert.ok(growth < RSS_GROWTH_LIMIT, `${what}: the proxy's RSS grew by ${(growth / MiB).toFixed(1)} MB`);
}

test(`a client that stops reading stops the backend: ${TOTAL / MiB} MB arrive intact and the proxy's RSS stays within 100 MB`, { timeout: 120_000 }, async (t) => {
  let source: PatternSource | undefined;
  const backend = await startTcpServer(t, (socket) => (source = sendPattern(socket, TOTAL)));
  const { port, pid } = await startProxy(t, backend.address);
  const client = await connectTo(port);
  t.after(() => client.destroy());
  client.pause();
  const sink = receivePattern(client);
  while (source === undefined) await sleep(10);
  await streamWithPauses(t, 'backend → client', pid, client, source, sink);
});

test(`a backend that stops reading stops the client: ${TOTAL / MiB} MB arrive intact and the proxy's RSS stays within 100 MB`, { timeout: 120_000 }, async (t) => {
  let sink: PatternSink | undefined;
  let reader: Socket | undefined;
  const backend = await startTcpServer(t, (socket) => {
    socket.pause();
    reader = socket;
    sink = receivePattern(socket);
    void sink.ended.then(() => socket.end());
  });
  const { port, pid } = await startProxy(t, backend.address);
  const client = await connectTo(port);
  t.after(() => client.destroy());
  const source = sendPattern(client, TOTAL);
  while (sink === undefined || reader === undefined) await sleep(10);
  await streamWithPauses(t, 'client → backend', pid, reader, source, sink);
});

/** Switches the behavior of new exchanges through the control API of a `--http` vaurien. */
async function setBehavior(vaurien: RunningVaurien, name: string): Promise<void> {
  const api = /control API on (http:\/\/\S+)/.exec(vaurien.banner)?.[1];
  assert.ok(api !== undefined, `no control API in "${vaurien.banner}"`);
  const response = await fetch(`${api}/behavior`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
  assert.equal(response.status, 200, await response.text());
}

test('while delay holds a request, the proxy stops reading the client; once it is released the stream arrives intact', { timeout: 120_000 }, async (t) => {
  let sink: PatternSink | undefined;
  const backend = await startTcpServer(t, (socket) => {
    sink = receivePattern(socket);
    void sink.ended.then(() => socket.end());
  });
  const { vaurien, port, pid } = await startProxy(t, backend.address, ['--behavior', '100:delay', '--behavior-delay-sleep', '3', '--http', '--http-host', '127.0.0.1', '--http-port', '0']);
  const idle = rssBytes(pid);
  const rss = watchRss(pid);
  const client = await connectTo(port);
  t.after(() => client.destroy());
  const source = sendPattern(client, AFTER_HOLD);
  const sent = await stalled(source);
  assert.ok(sent < STALLED_LIMIT, `${(sent / MiB).toFixed(1)} MB were taken from a client whose first chunk is held`);
  assert.equal(sink?.received() ?? 0, 0, 'the backend got bytes before the delay was over');
  t.diagnostic(`the client stalled after ${(sent / MiB).toFixed(1)} MB while its first chunk was held`);
  // tcp makes each chunk an exchange: later chunks must not be delayed one by one.
  await setBehavior(vaurien, 'dummy');
  while (sink === undefined) await sleep(10);
  assert.equal(await sink.ended, AFTER_HOLD);
  assert.equal(sink.error(), undefined);
  const growth = rss.stop() - idle;
  t.diagnostic(`proxy RSS grew by at most ${(growth / MiB).toFixed(1)} MB`);
  assert.ok(growth < RSS_GROWTH_LIMIT, `the proxy's RSS grew by ${(growth / MiB).toFixed(1)} MB`);
});

test('while delay holds an answer, the proxy stops reading the backend; then the stream arrives intact', { timeout: 120_000 }, async (t) => {
  let source: PatternSource | undefined;
  const backend = await startTcpServer(t, (socket) => (source = sendPattern(socket, AFTER_HOLD)));
  const { port, pid } = await startProxy(t, backend.address, ['--behavior', '100:delay', '--behavior-delay-sleep', '2', '--behavior-delay-before', 'false']);
  const idle = rssBytes(pid);
  const rss = watchRss(pid);
  const client = await connectTo(port);
  t.after(() => client.destroy());
  const sink = receivePattern(client);
  while (source === undefined) await sleep(10);
  const started = performance.now();
  const sent = await stalled(source);
  assert.ok(performance.now() - started < 2000, 'the backend did not stall while its first chunk was held');
  assert.equal(sink.received(), 0, 'the client got bytes before the delay was over');
  assert.ok(sent < STALLED_LIMIT, `${(sent / MiB).toFixed(1)} MB were taken from a backend whose first chunk is held`);
  t.diagnostic(`the backend stalled after ${(sent / MiB).toFixed(1)} MB while its first chunk was held`);
  assert.equal(await sink.ended, AFTER_HOLD);
  assert.equal(sink.error(), undefined);
  const growth = rss.stop() - idle;
  t.diagnostic(`proxy RSS grew by at most ${(growth / MiB).toFixed(1)} MB`);
  assert.ok(growth < RSS_GROWTH_LIMIT, `the proxy's RSS grew by ${(growth / MiB).toFixed(1)} MB`);
});

test('a hung connection stops reading its client for good, holds no memory, and others are served meanwhile', { timeout: 60_000 }, async (t) => {
  const sinks: PatternSink[] = [];
  const backend = await startTcpServer(t, (socket) => {
    const sink = receivePattern(socket);
    sinks.push(sink);
    void sink.ended.then(() => socket.end());
  });
  const { vaurien, port, pid } = await startProxy(t, backend.address, ['--behavior', '100:hang', '--http', '--http-host', '127.0.0.1', '--http-port', '0']);
  const idle = rssBytes(pid);
  const hung = await connectTo(port);
  t.after(() => hung.destroy());
  const stuck = sendPattern(hung, AFTER_HOLD);
  const sent = await stalled(stuck);
  assert.ok(sent < STALLED_LIMIT, `${(sent / MiB).toFixed(1)} MB were taken from a hung client`);
  assert.equal(sinks[0]?.received() ?? 0, 0, 'a hung chunk reached the backend');
  const growth = rssBytes(pid) - idle;
  t.diagnostic(`the hung client stalled after ${(sent / MiB).toFixed(1)} MB; proxy RSS +${(growth / MiB).toFixed(1)} MB`);
  assert.ok(growth < RSS_GROWTH_LIMIT);

  await setBehavior(vaurien, 'dummy');
  const other = await connectTo(port);
  t.after(() => other.destroy());
  const flowing = sendPattern(other, 16 * MiB);
  while (sinks.length < 2) await sleep(10);
  assert.equal(await (sinks[1] as PatternSink).ended, 16 * MiB);
  await flowing.done;
  assert.equal(stuck.sent(), sent, 'the hung client was read again');
});
