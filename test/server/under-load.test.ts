// `vaurien server` (the command, a process of its own) under churn: 50 connections stream
// through one proxy while toxics are added and removed 100 times a second for 10 s; no byte is
// lost or reordered and API calls answer within 100 ms (99 %; none over 500). 100 proxies too.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { patternSlice, receivePattern, type PatternSink } from '../helpers/pattern.js';
import { startEchoServer } from '../helpers/sockets.js';
import { startServerCommand } from '../helpers/toxiproxy-server.js';

const CONNECTIONS = 50;
const CHURN_MS = 10_000;
const STEP_MS = 10;

interface Stream {
  sent: number;
  readonly socket: Socket;
  /** Checks every byte that comes back against the pattern (a lost or reordered piece shifts it). */
  readonly sink: PatternSink;
  readonly ended: Promise<void>;
}

function openStream(port: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    const sink = receivePattern(socket);
    const stream: Stream = { sent: 0, socket, sink, ended: sink.ended.then(() => undefined, () => undefined) };
    socket.once('connect', () => resolve(stream));
    socket.once('error', reject);
  });
}

/** The next `length` bytes of a stream's pattern. */
function next(stream: Stream, length: number): Buffer {
  const bytes = patternSlice(stream.sent, length);
  stream.sent += bytes.length;
  return bytes;
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  const answer = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await answer.text();
  return { status: answer.status, ms: performance.now() - started, text };
}

async function startServerProcess(t: TestContext): Promise<string> {
  const running = await startServerCommand(t, ['-host', '127.0.0.1', '-port', '0', '-seed', '3', '--log-level', 'warning']);
  t.after(() => running.stop());
  return running.url;
}

const TOXICS = [
  { type: 'latency', attributes: { latency: 2, jitter: 1 } },
  { type: 'slicer', attributes: { average_size: 512, size_variation: 128, delay: 0 } },
  { type: 'bandwidth', attributes: { rate: 50_000 } },
  { type: 'noop' },
];

test('50 streams through a proxy whose toxics change 100 times a second for 10 s: every byte arrives in order, calls answer within 100 ms, none hangs', async (t) => {
  const url = await startServerProcess(t);
  const echo = await startEchoServer(t);
  const created = await api(url, 'POST', '/proxies', { name: 'churn', listen: '127.0.0.1:0', upstream: echo.address });
  const port = Number((JSON.parse(created.text) as { listen: string }).listen.split(':')[1]);
  const streams = await Promise.all(Array.from({ length: CONNECTIONS }, () => openStream(port)));
  let streaming = true;
  // Each stream sends 1 KB every 10 ms (5 MB/s in all) while the toxics change.
  const writers = streams.map(async (stream) => {
    while (streaming) {
      stream.socket.write(next(stream, 1024));
      await new Promise((resolve) => setTimeout(resolve, STEP_MS));
    }
    stream.socket.end();
  });
  const slowest: number[] = [];
  const refused: string[] = [];
  let changes = 0;
  const deadline = performance.now() + CHURN_MS;
  for (let step = 0; performance.now() < deadline; step++) {
    const toxic = TOXICS[step % TOXICS.length] as object;
    const stream = step % 2 === 0 ? 'downstream' : 'upstream';
    const added = await api(url, 'POST', '/proxies/churn/toxics', { ...toxic, name: `t${step}`, stream });
    const removed = step > 0 ? await api(url, 'DELETE', `/proxies/churn/toxics/t${step - 1}`) : { status: 204, ms: 0, text: '' };
    if (added.status !== 200) refused.push(`add: ${added.status} ${added.text}`);
    if (removed.status !== 204) refused.push(`remove: ${removed.status} ${removed.text}`);
    slowest.push(added.ms, removed.ms);
    changes += 2;
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
  streaming = false;
  await Promise.all(writers);
  let giveUp: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(streams.map((stream) => stream.ended)), new Promise((resolve) => (giveUp = setTimeout(resolve, 15_000)))]);
  clearTimeout(giveUp);
  slowest.sort((a, b) => b - a);
  t.diagnostic(`${changes} toxic changes in ${CHURN_MS / 1000} s; slowest calls ${slowest.slice(0, 3).map((ms) => ms.toFixed(1)).join(', ')} ms; ${streams.reduce((sum, stream) => sum + stream.sink.received(), 0)} bytes echoed`);
  assert.deepEqual(refused, []);
  assert.ok(changes >= 500, `only ${changes} changes in ${CHURN_MS / 1000} s`);
  // Toxiproxy's hang (#159/#412) held calls for seconds. Here 99 % must answer within 100 ms
  // and none may take half a second: a scheduling hiccup of a shared 2-core machine (a GC, a
  // neighbour's test) is not a hang.
  const p99 = slowest[Math.floor(slowest.length / 100)] as number;
  assert.ok(p99 < 100, `99th percentile of API calls ${p99.toFixed(1)} ms`);
  assert.ok((slowest[0] as number) < 500, `slowest API call ${(slowest[0] as number).toFixed(1)} ms`);
  for (const [at, stream] of streams.entries()) {
    assert.equal(stream.sink.error(), undefined, `stream ${at}`);
    assert.equal(stream.sink.received(), stream.sent, `stream ${at}: ${stream.sink.received()} of ${stream.sent} bytes came back`);
  }
});

test('100 proxies in one process each carry their own traffic', async (t) => {
  const url = await startServerProcess(t);
  const echo = await startEchoServer(t);
  const entries = Array.from({ length: 100 }, (_, n) => ({ name: `p${n}`, listen: '127.0.0.1:0', upstream: echo.address, toxics: n % 2 === 0 ? [{ type: 'latency', attributes: { latency: 20 } }] : [] }));
  const populated = await api(url, 'POST', '/populate', entries);
  assert.equal(populated.status, 201, populated.text);
  const proxies = (JSON.parse(populated.text) as { proxies: Array<{ name: string; listen: string }> }).proxies;
  assert.equal(proxies.length, 100);
  const seen = await Promise.all(
    proxies.map(async (proxy, n) => {
      const stream = await openStream(Number(proxy.listen.split(':')[1]));
      const started = performance.now();
      stream.socket.end(next(stream, 4096));
      await stream.ended;
      return { n, stream, ms: performance.now() - started };
    }),
  );
  for (const { n, stream, ms } of seen) {
    assert.equal(stream.sink.error(), undefined, `p${n}`);
    assert.equal(stream.sink.received(), 4096, `p${n}`);
    if (n % 2 === 0) assert.ok(ms >= 19, `p${n} has its latency toxic (${ms.toFixed(0)} ms)`);
  }
  const listed = await api(url, 'GET', '/proxies');
  assert.ok(listed.ms < 100, `GET /proxies of 100 proxies took ${listed.ms.toFixed(1)} ms`);
});
