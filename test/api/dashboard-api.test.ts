// The dashboard's files at /ui/ (SPEC 15): served from the package with headers that keep them to
// their own origin, without the token (a browser must load the page to be asked for it), never a
// file outside their list; `GET /proxy`, what the page reads, needs the token like any data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoServer } from '../helpers/sockets.js';
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
