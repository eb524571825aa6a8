// What GET /behavior reads back can be PUT back as it is: weights are written so that parsing
// them gives the same set (no 0 for a tiny weight, no rounding of a long one), which is what
// `Client.withBehavior` relies on to restore the behavior it found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../lib/control/client.js';
import { startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

const SETS = ['99.9999999:delay,0.0000001:error', '33.3333333:delay', '0.5:error', '12.5:hang,0.000000000123:abort', '100:blackout'];

test('a weighted set reads back as it was written, tiny and long weights included, and PUT back as read', async (t) => {
  const echo = await startEchoServer(t);
  const { call, proxy } = await startApi(t, { backend: echo.address });
  for (const spec of SETS) {
    assert.equal((await call('PUT', '/behavior', { behavior: spec })).status, 200, spec);
    const read = await call('GET', '/behavior');
    assert.equal(read.json.behavior, spec === '100:blackout' ? 'blackout' : spec);
    assert.equal(proxy.getBehavior().behavior, read.json.behavior);
    const again = await call('PUT', '/behavior', read.json);
    assert.equal(again.status, 200, `${JSON.stringify(read.json)} was refused: ${again.text}`);
    assert.deepEqual((await call('GET', '/behavior')).json, read.json);
  }
});

test('Client.withBehavior restores a set with a tiny weight exactly', async (t) => {
  const echo = await startEchoServer(t);
  const { api, proxy } = await startApi(t, { backend: echo.address });
  const client = new Client({ host: '127.0.0.1', port: api.address.port });
  await client.setBehavior('99.9999999:delay,0.0000001:error', { delay: { sleep: 0.25 } });
  const before = await client.getBehaviorState();
  assert.equal(await client.withBehavior('blackout', () => 'done'), 'done');
  assert.deepEqual(await client.getBehaviorState(), before);
  assert.equal(proxy.getBehavior().behavior, '99.9999999:delay,0.0000001:error');
});
