import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ControlApiError, ControlApiUnreachableError } from '../../lib/index.js';
import { freePort, roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startApi } from '../api/harness.js';

test('Client reads and sets behaviors, backends and stats of a running proxy', async (t) => {
  const echo = await startEchoServer(t);
  const other = await startEchoServer(t);
  const { api, port } = await startApi(t, { backend: echo.address });
  const client = new Client({ host: '127.0.0.1', port: api.address.port });

  assert.equal(await client.getBehavior(), 'dummy');
  await client.setBehavior('delay', { sleep: 0.05 });
  assert.equal(await client.getBehavior(), 'delay');
  assert.deepEqual(await client.getBehaviorState(), { behavior: 'delay', options: { delay: { sleep: 0.05, before: true } } });
  await client.setBehavior('20:delay,10:error', { delay: { sleep: 2 }, error: { warmup: 1 } });
  assert.deepEqual(await client.getBehaviorState(), {
    behavior: '20:delay,10:error',
    options: { delay: { sleep: 2, before: true }, error: { inject: false, warmup: 1 } },
  });
  // A single behavior's options may also be keyed by its name.
  await client.setBehavior('error', { error: { inject: true } });
  assert.deepEqual((await client.getBehaviorState()).options, { error: { inject: true, warmup: 0 } });

  const names = await client.listBehaviors();
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('blackout'));
  const described = await client.describeBehaviors();
  assert.equal(described.find((behavior) => behavior.name === 'delay')?.options['sleep']?.type, 'float');

  assert.equal(await client.getBackend(), echo.address);
  await client.setBackend(other.address);
  assert.equal(await client.getBackend(), other.address);

  await client.setBehavior('dummy');
  await roundTrip(port, Buffer.from('abc'));
  const stats = await client.stats();
  assert.equal(stats.bytes.request, 3);
  assert.match(await client.metrics(), /vaurien_bytes_total\{direction="request",protocol="tcp"\} 3/);
});

test('withBehavior applies a behavior for the duration of a function and restores the previous one exactly', async (t) => {
  const echo = await startEchoServer(t);
  const { api, port } = await startApi(t, { backend: echo.address });
  const client = new Client({ host: '127.0.0.1', port: api.address.port });
  await client.setBehavior('30:delay,10:error', { delay: { sleep: 0.3, before: false }, error: { warmup: 2 } });
  const before = await client.getBehaviorState();

  const result = await client.withBehavior('delay', { sleep: 0.2 }, async () => {
    // Options not given start again from the proxy's configured ones (here the defaults).
    assert.deepEqual(await client.getBehaviorState(), { behavior: 'delay', options: { delay: { sleep: 0.2, before: true } } });
    const started = performance.now();
    await roundTrip(port, Buffer.from('slow'));
    return performance.now() - started;
  });
  assert.ok(result >= 190, `the exchange inside took ${result} ms`);
  assert.deepEqual(await client.getBehaviorState(), before);

  await assert.rejects(
    client.withBehavior('blackout', async () => {
      assert.equal(await client.getBehavior(), 'blackout');
      throw new Error('the application failed');
    }),
    /the application failed/,
  );
  assert.deepEqual(await client.getBehaviorState(), before, 'restored even though the function threw');
});

test('Client reports a refused request with the API errors, and an unreachable API in one line', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address }, { token: 'tok' });
  const client = new Client({ host: '127.0.0.1', port: api.address.port, token: 'tok' });
  const refused = await client.setBehavior('nope').catch((error: unknown) => error);
  assert.ok(refused instanceof ControlApiError);
  assert.equal(refused.status, 400);
  assert.equal(refused.errors[0]?.name, 'behavior');
  assert.match(refused.message, /unknown behavior "nope"/);

  const noToken = await new Client({ host: '127.0.0.1', port: api.address.port, token: '' }).getBehavior().catch((error: unknown) => error);
  assert.ok(noToken instanceof ControlApiError);
  assert.equal(noToken.status, 401);

  const closed = await freePort();
  const unreachable = await new Client({ host: '127.0.0.1', port: closed }).getBehavior().catch((error: unknown) => error);
  assert.ok(unreachable instanceof ControlApiUnreachableError);
  assert.match(unreachable.message, /^cannot reach the control API at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
});

test('Client defaults to localhost:8080 and VAURIEN_HTTP_TOKEN', () => {
  const saved = process.env['VAURIEN_HTTP_TOKEN'];
  process.env['VAURIEN_HTTP_TOKEN'] = 'from-env';
  try {
    const client = new Client();
    assert.equal(client.baseUrl, 'http://localhost:8080');
    assert.equal(new Client({ host: '::1', port: 9 }).baseUrl, 'http://[::1]:9');
  } finally {
    if (saved === undefined) delete process.env['VAURIEN_HTTP_TOKEN'];
    else process.env['VAURIEN_HTTP_TOKEN'] = saved;
  }
});
