import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { createProxyMetrics } from '../../lib/control/metrics.js';
import { startTestProxy } from '../helpers/proxy.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

/** `name{labels} value` lines of a Prometheus exposition, as a map. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

function errorExchange(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write('boom'));
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
  });
}

test('GET /metrics exposes faults by behavior and protocol, exchanges, bytes and connections in Prometheus format', async (t) => {
  const echo = await startEchoServer(t);
  const { port, call } = await startApi(t, { backend: echo.address });
  await roundTrip(port, Buffer.from('hello'));
  await call('PUT', '/behavior', { name: 'error' });
  await errorExchange(port);
  await errorExchange(port);

  const answer = await call('GET', '/metrics');
  assert.equal(answer.status, 200);
  assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(answer.text, /# TYPE vaurien_faults_injected_total counter/);
  assert.match(answer.text, /# TYPE vaurien_connections_open gauge/);
  const values = samples(answer.text);
  assert.equal(values.get('vaurien_faults_injected_total{behavior="error",protocol="tcp"}'), 2);
  assert.equal(values.get('vaurien_exchanges_total{behavior="error",protocol="tcp"}'), 2);
  assert.equal(values.get('vaurien_exchanges_total{behavior="dummy",protocol="tcp"}'), 1);
  assert.equal(values.get('vaurien_bytes_total{direction="request",protocol="tcp"}'), 5);
  assert.equal(values.get('vaurien_bytes_total{direction="response",protocol="tcp"}'), 5);
  assert.equal(values.get('vaurien_connections_total{protocol="tcp"}'), 3);
  assert.ok((values.get('vaurien_connections_open{protocol="tcp"}') ?? -1) >= 0);

  // Counters follow the traffic between scrapes.
  await errorExchange(port);
  const later = samples((await call('GET', '/metrics')).text);
  assert.equal(later.get('vaurien_faults_injected_total{behavior="error",protocol="tcp"}'), 3);
});

test('two proxies in one process keep separate metrics', async (t) => {
  const echo = await startEchoServer(t);
  const one = await startApi(t, { backend: echo.address });
  const two = await startApi(t, { backend: echo.address });
  await roundTrip(one.port, Buffer.from('only on the first'));
  assert.equal(samples((await one.call('GET', '/metrics')).text).get('vaurien_connections_total{protocol="tcp"}'), 1);
  assert.equal(samples((await two.call('GET', '/metrics')).text).get('vaurien_connections_total{protocol="tcp"}'), 0);
});

test('the metrics registry merged into an application\'s own shows fresh counters at every scrape', async (t) => {
  const echo = await startEchoServer(t);
  const { proxy, port } = await startTestProxy(t, { backend: echo.address });
  const metrics = createProxyMetrics(() => proxy.stats());
  const app = Registry.merge([metrics.registry, new Registry()]);
  const total = async (): Promise<number | undefined> => samples(await app.metrics()).get('vaurien_connections_total{protocol="tcp"}');
  assert.equal(await total(), 0);
  await roundTrip(port, Buffer.from('one'));
  assert.equal(await total(), 1);
  await roundTrip(port, Buffer.from('two'));
  assert.equal(await total(), 2);
});
