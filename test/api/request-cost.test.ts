// No control-API request may hold up the proxy's traffic (SPEC 18): parsing is linear in the
// input, a weighted set has at most 100 entries, and JSON nested deeper than 32 levels is a 400,
// found without recursion. Measured with a real vaurien process and a real redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { nestsDeeperThan } from '../../lib/control/json-depth.js';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { startEchoServer } from '../helpers/sockets.js';
import { call, startApi } from './harness.js';

const redisServer = redisServerForFile();
/** Generous bounds (the targets are 50 ms): a loaded CI machine must not make these flake. */
const ANSWER_BOUND_MS = 500;
const PING_BOUND_MS = 500;

/** A redis connection through the proxy that times each PING until its PONG. */
async function pinger(port: number): Promise<{ ping(): Promise<number>; close(): void }> {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending = '';
  let wake: (() => void) | undefined;
  socket.on('data', (data: Buffer) => {
    pending += data.toString('latin1');
    wake?.();
  });
  return {
    async ping() {
      const started = performance.now();
      socket.write('*1\r\n$4\r\nPING\r\n');
      while (!pending.includes('+PONG\r\n')) await new Promise<void>((resolve) => (wake = resolve));
      pending = pending.slice(pending.indexOf('+PONG\r\n') + 7);
      return performance.now() - started;
    },
    close: () => socket.destroy(),
  };
}

test('a 1 MB PUT /behavior of 70 000 entries is refused at once, and a redis PING through the proxy meanwhile is not held up', { timeout: 60_000 }, async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', redis.address, '--protocol', 'redis', '--http', '--http-host', '127.0.0.1', '--http-port', '0']);
  const base = `http://127.0.0.1:${bannerApiPort(vaurien.banner)}`;
  const client = await pinger(bannerPort(vaurien.banner));
  t.after(() => client.close());
  for (let warm = 0; warm < 5; warm++) await client.ping();

  const spec = Array.from({ length: 70_000 }, (_, n) => `0.001:b-${n}`).join(',');
  const body = JSON.stringify({ behavior: spec });
  assert.ok(body.length > 900_000 && body.length < 1024 * 1024, `body of ${body.length} bytes`);
  const started = performance.now();
  let answered = false;
  const put = call(base, 'PUT', '/behavior', body).then((answer) => {
    answered = true;
    return { answer, tookMs: performance.now() - started };
  });
  // PINGs one after another for as long as the PUT is in flight: one of them meets any stall.
  const pings: number[] = [];
  while (!answered) pings.push(await client.ping());
  const { answer, tookMs } = await put;
  const slowest = Math.max(...pings);
  t.diagnostic(`PUT of ${(body.length / 1e6).toFixed(2)} MB answered ${answer.status} in ${tookMs.toFixed(1)} ms; slowest of ${pings.length} PINGs meanwhile: ${slowest.toFixed(1)} ms`);

  assert.equal(answer.status, 400, answer.text);
  assert.deepEqual(answer.json.errors, [{ location: 'body', name: 'behavior', description: 'behavior: a weighted set has at most 100 entries, got 70000' }]);
  assert.ok(tookMs < ANSWER_BOUND_MS, `the PUT was answered after ${tookMs.toFixed(0)} ms`);
  assert.ok(slowest < PING_BOUND_MS, `a PING through the proxy took ${slowest.toFixed(0)} ms during the PUT`);
  assert.equal((await call(base, 'GET', '/behavior')).json.behavior, 'dummy');
});

test('a weighted set of up to 100 entries is read; 101 entries are a 400 saying the limit', async (t) => {
  const echo = await startEchoServer(t);
  const { call: api } = await startApi(t, { backend: echo.address });
  const hundred = Array.from({ length: 100 }, (_, n) => `0.5:b${n}`).join(',');
  // 100 entries pass the count: the answer is about their (unknown) names.
  const atLimit = await api('PUT', '/behavior', { behavior: hundred });
  assert.equal(atLimit.status, 400);
  assert.match(atLimit.json.errors[0].description, /unknown behavior "b0"/);
  const over = await api('PUT', '/behavior', { behavior: `${hundred},0.5:b100` });
  assert.equal(over.status, 400);
  assert.match(over.json.errors[0].description, /a weighted set has at most 100 entries, got 101/);
});

/** `{"a":{"a":…1…}}`, `depth` objects deep. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

test('JSON nested deeper than 32 levels is a 400 at once, even 5 000 or 500 000 deep; 32 levels are read', async (t) => {
  const echo = await startEchoServer(t);
  const { call: api, proxy } = await startApi(t, { backend: echo.address });
  const tooDeep = [
    `{"name":"delay","sleep":${nested(5000)}}`,
    `{"behavior":"delay","options":{"delay":{"sleep":${nested(5000)}}}}`,
    `{"name":"delay","sleep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    `{"name":"delay","sleep":${nested(32)}}`,
    `[${'['.repeat(500_000)}`,
  ];
  for (const body of tooDeep) {
    const started = performance.now();
    const answer = await api('PUT', '/behavior', body);
    const tookMs = performance.now() - started;
    assert.equal(answer.status, 400, `${body.slice(0, 40)}…: ${answer.text}`);
    assert.deepEqual(answer.json.errors, [{ location: 'body', name: 'body', description: 'JSON nested deeper than 32 levels' }]);
    assert.ok(tookMs < ANSWER_BOUND_MS, `answered after ${tookMs.toFixed(0)} ms`);
  }
  // 32 levels in all (the body object is the first): read, and refused for what they say.
  const deepest = await api('PUT', '/behavior', `{"name":"delay","sleep":${nested(31)}}`);
  assert.equal(deepest.status, 400);
  assert.match(deepest.json.errors[0].description, /delay\.sleep: expected a number/);
  // Brackets inside strings are text, not nesting.
  const inString = await api('PUT', '/behavior', JSON.stringify({ name: 'delay', sleep: 0.01, note: '[{'.repeat(100) }));
  assert.match(inString.json.errors[0].description, /delay has no option "note"/);
  assert.equal(proxy.getBehavior().behavior, 'dummy');
});

test('the nesting depth read without recursion is the depth of the parsed JSON, whatever the text', () => {
  const depthOf = (value: unknown): number =>
    typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, limit) => {
      const text = JSON.stringify(value, null, limit % 2 === 0 ? 0 : 1);
      assert.equal(nestsDeeperThan(text, limit), depthOf(value) > limit, text);
    }),
    { seed: 20_15, numRuns: 2000 },
  );
});
