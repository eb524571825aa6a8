// One shape of behavior options everywhere a behavior is changed: `proxy.setBehavior`, `PUT
// /behavior` and `Client.setBehavior` take one behavior's options flat (`{ sleep: 2 }`) or under
// its name, and a weighted set's under each name; a mistake names what the caller wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ControlApiError, UsageError } from '../../lib/index.js';
import { startApi } from '../api/harness.js';
import { startTestProxy } from '../helpers/proxy.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';

async function timedRoundTrip(port: number): Promise<number> {
  const started = performance.now();
  assert.equal((await roundTrip(port, Buffer.from('ping'))).toString(), 'ping');
  return performance.now() - started;
}

test('proxy.setBehavior("delay", { sleep: 0.2 }) delays the next exchanges by 0.2 s', async (t) => {
  const echo = await startEchoServer(t);
  const { proxy, port } = await startTestProxy(t, { backend: echo.address });
  proxy.setBehavior('delay', { sleep: 0.2 });
  assert.deepEqual(proxy.getBehavior(), { behavior: 'delay', options: { delay: { sleep: 0.2, before: true } } });
  const took = await timedRoundTrip(port);
  assert.ok(took >= 190 && took < 1000, `took ${took} ms`);
  proxy.setBehavior('delay', { delay: { sleep: 0.05 } }); // under its name: the same
  assert.equal(proxy.getBehavior().options['delay']?.['sleep'], 0.05);
  proxy.setBehavior('20:delay,10:error', { delay: { sleep: 0.3 }, error: { warmup: 2 } });
  assert.deepEqual(proxy.getBehavior().options, { delay: { sleep: 0.3, before: true }, error: { inject: false, warmup: 2 } });
});

test('proxy.setBehavior mistakes name the call and the key written, not a command-line flag', async (t) => {
  const echo = await startEchoServer(t);
  const { proxy } = await startTestProxy(t, { backend: echo.address });
  const refusal = (call: () => void): string => {
    try {
      call();
    } catch (error) {
      assert.ok(error instanceof UsageError, String(error));
      assert.doesNotMatch(error.message, /--behavior/);
      return error.message;
    }
    assert.fail('no error');
  };
  assert.equal(
    refusal(() => proxy.setBehavior('20:delay,10:error', { sleep: 2 })),
    'setBehavior("20:delay,10:error"): options.sleep: in a weighted set each behavior\'s options go under its name, e.g. {"delay": {"sleep": 2}}',
  );
  assert.equal(refusal(() => proxy.setBehavior('20:delay', { error: { warmup: 1 } })), 'setBehavior("20:delay"): options.error: "error" is not in "20:delay"');
  assert.match(refusal(() => proxy.setBehavior('nope')), /^setBehavior\("nope"\): unknown behavior "nope" \(known: abort, /);
  assert.match(refusal(() => proxy.setBehavior('delay', { slep: 1 })), /^delay\.slep: unknown option \(known: sleep, before\)$/);
  assert.equal(proxy.getBehavior().behavior, 'dummy', 'nothing changed');
});

test('PUT /behavior and Client.setBehavior take one behavior\'s options flat, a set\'s per behavior', async (t) => {
  const echo = await startEchoServer(t);
  const { proxy, call, api } = await startApi(t, { backend: echo.address });
  assert.equal((await call('PUT', '/behavior', { behavior: 'delay', options: { sleep: 2 } })).status, 200);
  assert.deepEqual(proxy.getBehavior(), { behavior: 'delay', options: { delay: { sleep: 2, before: true } } });

  const client = new Client({ host: '127.0.0.1', port: api.address.port, token: '' });
  await client.setBehavior('delay', { sleep: 0.5 });
  assert.equal(proxy.getBehavior().options['delay']?.['sleep'], 0.5);
  await client.setBehavior('20:delay,10:error', { delay: { sleep: 1.5 } });
  assert.equal(proxy.getBehavior().options['delay']?.['sleep'], 1.5);
  await client.withBehavior('error', { inject: true }, () => assert.deepEqual(proxy.getBehavior().options, { error: { inject: true, warmup: 0 } }));
  assert.equal(proxy.getBehavior().behavior, '20:delay,10:error', 'withBehavior put the set back');

  const refused = await client.setBehavior('20:delay,10:error', { sleep: 2 }).catch((error: unknown) => error);
  assert.ok(refused instanceof ControlApiError && refused.status === 400, String(refused));
  assert.deepEqual(refused.errors.map((error) => error.name), ['options.sleep']);
});
