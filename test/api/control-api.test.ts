import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { Behavior } from '../../lib/registry/behaviors.js';
import { identity } from 'rxjs';
import { startEchoServer, startTcpServer, roundTrip } from '../helpers/sockets.js';
import { startApi } from './harness.js';

/** Sends `payload` on a fresh connection; 'echo' if the first bytes back are the payload, else 'garbage'. */
function probe(port: number, payload: string): Promise<'echo' | 'garbage' | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let received = Buffer.alloc(0);
    const done = (outcome: 'echo' | 'garbage' | 'closed'): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      if (received.length >= payload.length) done(received.subarray(0, payload.length).toString() === payload ? 'echo' : 'garbage');
    });
    socket.on('error', () => done('closed'));
    socket.on('close', () => done('closed'));
  });
}

test('a client looping through the proxy sees the behavior switched live, and switched back', async (t) => {
  const echo = await startEchoServer(t);
  const { port, call } = await startApi(t, { backend: echo.address });
  const seen: Array<{ outcome: string; phase: string }> = [];
  let phase = 'before';
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      // Counted only when the phase did not change while the probe was in flight.
      const started = phase;
      const outcome = await probe(port, `ping-${i}\n`);
      if (phase === started) seen.push({ phase, outcome });
    }
  })();
  t.after(() => {
    running = false;
  });
  const waitFor = async (count: number, wanted: string): Promise<void> => {
    while (seen.filter((entry) => entry.phase === wanted).length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  await waitFor(5, 'before');
  phase = 'switching';
  assert.deepEqual((await call('PUT', '/behavior', { name: 'error' })).json, { status: 'ok' });
  phase = 'error';
  await waitFor(5, 'error');
  phase = 'switching';
  assert.equal((await call('POST', '/behavior', { name: 'dummy' })).status, 200);
  phase = 'after';
  await waitFor(5, 'after');
  running = false;
  await loop;

  const outcomes = (wanted: string): string[] => [...new Set(seen.filter((entry) => entry.phase === wanted).map((entry) => entry.outcome))];
  assert.deepEqual(outcomes('before'), ['echo']);
  assert.deepEqual(outcomes('error'), ['garbage'], 'every exchange started after the switch got the error reply');
  assert.deepEqual(outcomes('after'), ['echo']);
  const stats = (await call('GET', '/stats')).json;
  assert.ok(stats.exchanges.error >= 5, `exchanges: ${JSON.stringify(stats.exchanges)}`);
  assert.ok(stats.faults.error >= 5);
  assert.ok(stats.exchanges.dummy >= 10);
});

test('GET /behavior reads "dummy" by default, the name set by POST, and a weighted set with its options', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: 'dummy', options: {} });

  assert.deepEqual((await call('POST', '/behavior', { sleep: 2, name: 'delay' })).json, { status: 'ok' });
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: 'delay', options: { delay: { sleep: 2, before: true } } });

  await call('PUT', '/behavior', { behavior: '20:delay,10:error', options: { delay: { sleep: 0.5 }, error: { warmup: '3' } } });
  const { json } = await call('GET', '/behavior');
  assert.equal(json.behavior, '20:delay,10:error');
  assert.deepEqual(json.options, { delay: { sleep: 0.5, before: true }, error: { inject: false, warmup: 3 } });

  // The original's form with a one-entry set: flat options belong to that behavior.
  await call('POST', '/behavior', { name: '50:delay', sleep: '0.25' });
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: '50:delay', options: { delay: { sleep: 0.25, before: true } } });
});

test('a delay set through the API holds the next exchange for `sleep` seconds', async (t) => {
  const echo = await startEchoServer(t);
  const { port, call } = await startApi(t, { backend: echo.address });
  await call('PUT', '/behavior', { name: 'delay', sleep: 0.2 });
  const started = performance.now();
  const back = await roundTrip(port, Buffer.from('hello'));
  const elapsed = performance.now() - started;
  assert.equal(back.toString(), 'hello');
  assert.ok(elapsed >= 190 && elapsed < 2000, `elapsed ${elapsed} ms`);
});

test('options the proxy started with are kept unless the request changes them', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address, behaviorOptions: { delay: { before: false, sleep: 3 } } });
  await call('PUT', '/behavior', { name: 'delay', sleep: 0.1 });
  assert.deepEqual((await call('GET', '/behavior')).json.options, { delay: { sleep: 0.1, before: false } });
});

test('GET /behaviors lists every behavior sorted, a registered plugin included, with details on demand', async (t) => {
  Behavior.register(
    defineBehavior<{ rate: number }>({
      name: 'zz-api-plugin',
      description: 'A plugin registered by a test',
      options: { rate: { type: 'float', default: 0.5, description: 'Share of messages', max: 1 } },
      operator: () => identity,
    }),
  );
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  const { behaviors } = (await call('GET', '/behaviors')).json;
  assert.deepEqual(behaviors, [...behaviors].sort());
  for (const name of ['abort', 'blackout', 'delay', 'dummy', 'error', 'hang', 'transient', 'zz-api-plugin']) assert.ok(behaviors.includes(name), name);

  const details = (await call('GET', '/behaviors?details=true')).json.behaviors;
  const delay = details.find((entry: { name: string }) => entry.name === 'delay');
  assert.equal(delay.options.sleep.type, 'float');
  assert.equal(delay.options.sleep.default, 1);
  assert.equal(delay.options.before.type, 'bool');
  assert.deepEqual((await call('GET', '/behaviors/zz-api-plugin')).json, {
    name: 'zz-api-plugin',
    description: 'A plugin registered by a test',
    options: { rate: { type: 'float', default: 0.5, description: 'Share of messages', max: 1 } },
  });
  // and it can be used at once
  assert.equal((await call('PUT', '/behavior', { name: 'zz-api-plugin', rate: 0.2 })).status, 200);
  assert.equal((await call('GET', '/behaviors/nope')).status, 404);
});

test('PUT /backend moves new connections to another backend; GET /backend reads it', async (t) => {
  const first = await startEchoServer(t);
  const second = await startTcpServer(t, (socket) => socket.on('data', (data: Buffer) => socket.write(`second:${data}`)));
  const { port, call } = await startApi(t, { backend: first.address });
  assert.deepEqual((await call('GET', '/backend')).json, { backend: first.address });
  assert.equal((await roundTrip(port, Buffer.from('a'))).toString(), 'a');

  assert.deepEqual((await call('PUT', '/backend', { backend: second.address })).json, { status: 'ok' });
  assert.deepEqual((await call('GET', '/backend')).json, { backend: second.address });
  assert.equal(await probe(port, 'x'), 'garbage');
  assert.equal((await new Promise<string>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write('b'));
    socket.once('data', (data: Buffer) => {
      socket.destroy();
      resolve(data.toString());
    });
  })), 'second:b');
});

test('GET /stats counts connections, exchanges per behavior, bytes per direction and faults', async (t) => {
  const echo = await startEchoServer(t);
  const { port, call } = await startApi(t, { backend: echo.address });
  await roundTrip(port, Buffer.from('12345'));
  await call('PUT', '/behavior', { name: 'error' });
  await probe(port, 'abc');
  const stats = (await call('GET', '/stats')).json;
  assert.equal(stats.protocol, 'tcp');
  assert.equal(stats.connections.total, 2);
  assert.equal(typeof stats.connections.open, 'number');
  assert.equal(stats.exchanges.dummy, 1);
  assert.equal(stats.exchanges.error, 1);
  assert.equal(stats.faults.error, 1);
  assert.equal(stats.bytes.request, 5, 'the errored request never reached the backend');
  assert.equal(stats.bytes.response, 5);
});

test('the API answers on 127.0.0.1 when asked for localhost, and refuses a port already in use', async (t) => {
  const echo = await startEchoServer(t);
  const { proxy, api } = await startApi(t, { backend: echo.address }, { host: 'localhost' });
  assert.match(api.address.host, /^(127\.0\.0\.1|::1)$/);
  const { startControlApi } = await import('../../lib/control/http-api.js');
  const { silentLogger } = await import('../../lib/log.js');
  await assert.rejects(startControlApi(proxy, { host: 'localhost', port: api.address.port, log: silentLogger }), /address already in use/);
});
