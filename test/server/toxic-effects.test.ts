// Each of Toxiproxy's toxics, added through the API of an in-process `vaurien server`, seen by a
// real client: timings with explicit tolerances, bytes compared exactly. The same scenarios
// were measured against toxiproxy-server 2.12.0 (README, "Using vaurien as a Toxiproxy server").
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startHttpServer } from '../helpers/http-server.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { session, startScriptedBackend, startToxiproxyServer, type TestToxiproxy } from '../helpers/toxiproxy-server.js';

const redisServer = redisServerForFile();

/** A server with one proxy `fx` in front of the scripted backend, and its port. */
async function proxied(t: TestContext, upstream?: string, protocol?: string): Promise<TestToxiproxy & { readonly port: number; addToxic(body: object): Promise<void> }> {
  const running = await startToxiproxyServer(t);
  const backend = upstream ?? (await startScriptedBackend(t)).address;
  const proxy = await running.client.createProxy({ name: 'fx', listen: '127.0.0.1:0', upstream: backend, ...(protocol !== undefined ? { protocol } : {}) } as never);
  const port = Number(proxy.listen.split(':')[1]);
  const addToxic = async (body: object): Promise<void> => {
    const answer = await fetch(`${running.server.url}/proxies/fx/toxics`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(answer.status, 200, await answer.text());
  };
  return { ...running, port, addToxic };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

test('latency 100 ms: an echo round trip takes about 100 ms more; upstream and downstream add up', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'latency', attributes: { latency: 100 } });
  const times = [];
  for (let n = 0; n < 5; n++) times.push((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs);
  assert.ok(median(times) >= 99 && median(times) < 160, `median ${median(times).toFixed(0)} ms`);
  await addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 50 } });
  // The quickest of three: a loaded machine can stall one round trip, never shorten one.
  const both = [];
  for (let n = 0; n < 3; n++) both.push((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs);
  assert.ok(Math.min(...both) >= 148 && Math.min(...both) < 230, `${both.map((ms) => ms.toFixed(0)).join(', ')} ms with 50 up + 100 down`);
});

test('latency with jitter: round trips spread over latency ± jitter', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'latency', attributes: { latency: 100, jitter: 50 } });
  const times = [];
  for (let n = 0; n < 16; n++) times.push((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs);
  assert.ok(Math.min(...times) >= 49, `min ${Math.min(...times).toFixed(0)}`);
  // latency + jitter is 150 ms; the rest is room for a loaded machine.
  assert.ok(Math.max(...times) < 400, `max ${Math.max(...times).toFixed(0)}`);
  assert.ok(Math.max(...times) - Math.min(...times) > 20, `spread ${times.map((ms) => ms.toFixed(0)).join(' ')}`);
});

test('bandwidth 100 KB/s: 200 KB take about 2 s, every byte delivered', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'bandwidth', attributes: { rate: 100 } });
  const seen = await session(port, 'SEND 200000\n', { timeoutMs: 6000 });
  assert.equal(seen.outcome, 'end');
  assert.equal(seen.bytes, 200_000);
  assert.ok(seen.endMs >= 1900 && seen.endMs < 2600, `${seen.endMs.toFixed(0)} ms, ${(seen.bytes / seen.endMs).toFixed(1)} KB/s`);
});

test('slow_close 300 ms: the data arrives at once, the close 300 ms later', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'slow_close', attributes: { delay: 300 } });
  const seen = await session(port, 'CLOSE\n');
  assert.equal(seen.data.toString(), 'hi');
  assert.ok(seen.firstByteMs < 100, `data after ${seen.firstByteMs.toFixed(0)} ms`);
  assert.equal(seen.outcome, 'end');
  assert.ok(seen.endMs - seen.firstByteMs >= 290 && seen.endMs < 500, `closed after ${seen.endMs.toFixed(0)} ms`);
});

test('timeout 200 ms: nothing comes back and the connection closes after 200 ms; timeout 0 never closes', async (t) => {
  const { port, addToxic, server } = await proxied(t);
  await addToxic({ type: 'timeout', attributes: { timeout: 200 } });
  const seen = await session(port, 'ECHO\nx');
  assert.equal(seen.bytes, 0);
  assert.equal(seen.outcome, 'end');
  assert.ok(seen.endMs >= 195 && seen.endMs < 400, `closed after ${seen.endMs.toFixed(0)} ms`);
  await fetch(`${server.url}/proxies/fx/toxics/timeout_downstream`, { method: 'PATCH', body: '{"attributes":{"timeout":0}}' });
  const silent = await session(port, 'ECHO\nx', { timeoutMs: 800 });
  assert.deepEqual([silent.bytes, silent.outcome], [0, 'waited']);
});

test('removing a timeout toxic answers at once and closes the connections it held, as Toxiproxy does', async (t) => {
  const { port, addToxic, server } = await proxied(t);
  await addToxic({ type: 'timeout', attributes: { timeout: 0 } });
  const held = session(port, 'ECHO\nx', { timeoutMs: 3000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  const removed = await fetch(`${server.url}/proxies/fx/toxics/timeout_downstream`, { method: 'DELETE' });
  assert.equal(removed.status, 204);
  assert.ok(performance.now() - started < 100, 'the DELETE answered promptly (Toxiproxy #159/#412)');
  const seen = await held;
  assert.equal(seen.outcome, 'end');
  assert.ok(seen.endMs < 1000);
  assert.equal((await session(port, 'ECHO\ny', { stopAt: 4 })).data.toString(), 'ok\ny', 'new connections flow again');
});

test('reset_peer 100 ms: the client gets ECONNRESET about 100 ms after the backend answered, and none of the answer', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'reset_peer', attributes: { timeout: 100 } });
  const seen = await session(port, 'ECHO\nx');
  assert.equal(seen.outcome, 'ECONNRESET');
  assert.equal(seen.bytes, 0);
  assert.ok(seen.endMs >= 95 && seen.endMs < 300, `reset after ${seen.endMs.toFixed(0)} ms`);
});

test('slicer: 10 KB arrive in about 128 reads of 100 ± 20 bytes, byte for byte', async (t) => {
  const { port, addToxic } = await proxied(t);
  // 3 ms apart: a client whose event loop lags by a millisecond (a busy CI machine) still reads
  // the pieces one by one; at 1 ms apart it once read 58 times.
  await addToxic({ type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 3000 } });
  const seen = await session(port, 'SEND 10000\n');
  assert.equal(seen.outcome, 'end');
  assert.deepEqual(seen.data, Buffer.alloc(10_000, 0x61));
  assert.ok(seen.reads >= 60, `${seen.reads} reads`);
  assert.ok(seen.endMs >= 300, `${seen.endMs.toFixed(0)} ms for ~128 pieces 3 ms apart`);
});

test('limit_data 1000: the client gets exactly 1000 of the 5000 bytes, then the connection closes', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'limit_data', attributes: { bytes: 1000 } });
  const seen = await session(port, 'SEND 5000\n');
  assert.deepEqual([seen.bytes, seen.outcome], [1000, 'end']);
});

test('noop: the traffic goes through unchanged', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'noop' });
  assert.equal((await session(port, 'ECHO\nabc', { stopAt: 6 })).data.toString(), 'ok\nabc');
});

test('toxicity 0.5 on tcp: about half of the connections get the latency, each for its whole life', async (t) => {
  const { port, addToxic } = await proxied(t);
  await addToxic({ type: 'latency', toxicity: 0.5, attributes: { latency: 80 } });
  let slow = 0;
  for (let n = 0; n < 40; n++) if ((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs >= 75) slow++;
  assert.ok(slow >= 10 && slow <= 30, `${slow} of 40 connections delayed`);
});

test('an HTTP client through a latency toxic gets its 200 about 200 ms later', async (t) => {
  const http = await startHttpServer(t, (_request, response) => response.end('hello'));
  const { port, addToxic } = await proxied(t, http.address);
  await addToxic({ type: 'latency', attributes: { latency: 200 } });
  const started = performance.now();
  const answer = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
  assert.equal(await answer.text(), 'hello');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 195 && elapsed < 600, `${elapsed.toFixed(0)} ms`);
});

test('ioredis through a bandwidth toxic: a 100 KB value at 50 KB/s takes about 2 s and comes back whole', async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const { port, addToxic } = await proxied(t, redis.address);
  const value = 'v'.repeat(100_000);
  await redis.direct.set('big', value);
  await addToxic({ type: 'bandwidth', attributes: { rate: 50 } });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  await client.connect();
  const started = performance.now();
  assert.equal(await client.get('big'), value);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 1900 && elapsed < 2800, `${elapsed.toFixed(0)} ms`);
});
