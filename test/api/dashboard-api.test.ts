// What the dashboard asks of the control API: /ui/ files from the package, without the token but
// with headers that keep them to their origin, never a file off their list; `GET /proxy` needs
// the token, and as an event stream sends the state only when it changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SseParser } from '../../lib/events/sse-parser.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

test('/ui/ serves the page and its modules without the token, with headers that keep it to its origin', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address, name: 'edge' }, { token: 's3cret' });
  const moved = await call('GET', '/ui');
  assert.deepEqual([moved.status, moved.headers['location']], [301, '/ui/']);
  const page = await call('GET', '/ui/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /<script type="module" src="\.\/app\.js"><\/script>/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  for (const path of ['/ui/app.js', '/ui/charts.js', '/ui/vendor/uplot.js']) {
    const module = await call('GET', path);
    assert.equal(module.status, 200, path);
    assert.match(String(module.headers['content-type']), /^text\/javascript/, path);
  }
  assert.equal((await call('HEAD', '/ui/style.css')).status, 200);
  for (const path of ['/ui/nope.js', '/ui/tsconfig.json', '/ui/vendor/uplot.d.ts', '/ui/..%2fpackage.json']) {
    assert.equal((await call('GET', path)).status, 404, path);
  }
  assert.equal((await call('PUT', '/ui/', {})).status, 405);
  assert.equal((await call('GET', '/ui/', undefined, { origin: 'http://evil.example' })).status, 403, 'the Origin rule holds for the page too');
  assert.equal((await call('GET', '/proxy')).status, 401, 'data needs the token');
  const proxy = await call('GET', '/proxy', undefined, { authorization: 'Bearer s3cret' });
  assert.deepEqual({ ...proxy.json, version: 'v', backend: 'b' }, { name: 'edge', protocol: 'tcp', version: 'v', backend: 'b', behavior: 'dummy', options: {} });
});

test('GET /proxy as an event stream: the state at once, then an event only when something changed', async (t) => {
  const echo = await startEchoServer(t);
  const { base, port, proxy } = await startApi(t, { backend: echo.address, name: 'edge' });
  const answer = await request(`${base}/proxy`, { headers: { accept: 'text/event-stream' } });
  t.after(() => answer.body.destroy());
  const states: Array<{ behavior: string; stats: { connections: { total: number } } }> = [];
  const parser = new SseParser();
  answer.body.setEncoding('utf8');
  answer.body.on('data', (chunk: string) => {
    for (const event of parser.push(chunk)) states.push(JSON.parse(event.data) as (typeof states)[number]);
  });
  await waitFor(() => states.length === 1);
  assert.deepEqual([states[0]?.behavior, states[0]?.stats.connections.total], ['dummy', 0]);
  await sleep(2200);
  assert.equal(states.length, 1, 'an idle proxy sends nothing');
  proxy.setBehavior('delay');
  await waitFor(() => states.length === 2);
  assert.equal(states[1]?.behavior, 'delay');
  await roundTrip(port, Buffer.from('hello'));
  await waitFor(() => states.length === 3);
  assert.equal(states[2]?.stats.connections.total, 1);
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}
