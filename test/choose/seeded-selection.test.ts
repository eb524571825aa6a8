// Weighted selection: shares within binomial bounds, and --seed replaying the same choices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startTestProxy } from '../helpers/proxy.js';
import { formatWeightedSpec, parseWeightedSpec } from '../../lib/choose/weighted-spec.js';
import type { TestContext } from 'node:test';

/** Runs `exchanges` one-byte tcp exchanges (buffer=1 makes each byte an exchange) and returns each one's behavior. */
async function behaviorsOf(t: TestContext, seed: number, spec: string, exchanges: number): Promise<string[]> {
  const echo = await startEchoServer(t);
  const seen: string[] = [];
  const { port } = await startTestProxy(t, {
    backend: echo.address,
    seed,
    behavior: spec,
    protocolOptions: { buffer: 1 },
    behaviorOptions: { delay: { sleep: 0 }, error: { inject: true } },
    onExchange: (event) => seen.push(event.behavior),
  });
  await roundTrip(port, Buffer.alloc(exchanges, 0x61));
  return seen;
}

test('the same seed gives the same sequence of behaviors, another seed another one', async (t) => {
  const first = await behaviorsOf(t, 99, '20:delay,30:error', 400);
  const again = await behaviorsOf(t, 99, '20:delay,30:error', 400);
  const other = await behaviorsOf(t, 100, '20:delay,30:error', 400);
  assert.equal(first.length, 400);
  assert.deepEqual(again, first);
  assert.notDeepEqual(other, first);
});

test('weighted shares stay within binomial bounds', async (t) => {
  const n = 4000;
  const seen = await behaviorsOf(t, 5, '20:delay,30:error', n);
  const count = (name: string): number => seen.filter((behavior) => behavior === name).length;
  for (const [name, share] of [['delay', 0.2], ['error', 0.3], ['dummy', 0.5]] as const) {
    const mean = n * share;
    const sigma = Math.sqrt(n * share * (1 - share));
    assert.ok(Math.abs(count(name) - mean) < 5 * sigma, `${name}: ${count(name)} of ${n}, expected about ${mean}`);
  }
});

test('specs parse and print back the way users write them', () => {
  assert.deepEqual(parseWeightedSpec('20:delay, 10:error'), [
    { weight: 20, name: 'delay' },
    { weight: 10, name: 'error' },
  ]);
  assert.equal(formatWeightedSpec(parseWeightedSpec('20:delay,10:error')), '20:delay,10:error');
  assert.equal(formatWeightedSpec(parseWeightedSpec('100:blackout')), 'blackout');
  assert.equal(formatWeightedSpec(parseWeightedSpec('hang')), 'hang');
  assert.equal(formatWeightedSpec(parseWeightedSpec('0.5:error')), '0.5:error');
  assert.throws(() => parseWeightedSpec('50:delay,51:error'), /more than 100/);
  assert.throws(() => parseWeightedSpec('0:delay'), /must be in \(0, 100\]/);
  assert.throws(() => parseWeightedSpec('20:delay,20:delay'), /appears twice/);
  assert.throws(() => parseWeightedSpec(''), /empty/);
});

test('numbered apart (as the workers of a cluster are), connections draw what they would in one process', async (t) => {
  const echo = await startEchoServer(t);
  /** Six connections of 30 one-byte exchanges, one after another: each one's behaviors by number. */
  const drawsOf = async (numbering: { first: number; step: number } | undefined, connections: number): Promise<Map<number, string[]>> => {
    const seen = new Map<number, string[]>();
    const { port } = await startTestProxy(t, {
      backend: echo.address,
      seed: 4242,
      behavior: '20:delay,30:error',
      protocolOptions: { buffer: 1 },
      behaviorOptions: { delay: { sleep: 0 }, error: { inject: true } },
      ...(numbering !== undefined ? { numbering } : {}),
      onExchange: (event) => seen.set(event.connection, [...(seen.get(event.connection) ?? []), event.behavior]),
    });
    for (let index = 0; index < connections; index++) await roundTrip(port, Buffer.alloc(30, 0x61));
    return seen;
  };
  const single = await drawsOf(undefined, 6);
  const odd = await drawsOf({ first: 1, step: 2 }, 3);
  const even = await drawsOf({ first: 2, step: 2 }, 3);
  assert.deepEqual([...odd.keys()], [1, 3, 5]);
  assert.deepEqual([...even.keys()], [2, 4, 6]);
  for (const [number, draws] of [...odd, ...even]) assert.deepEqual(draws, single.get(number), `connection #${number}`);
  assert.notDeepEqual(single.get(1), single.get(2));
});
