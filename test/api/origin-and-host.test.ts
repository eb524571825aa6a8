// Web pages cannot steer the control API (SPEC 18): a foreign Origin is refused unless
// --http-cors allows it, a foreign Host is refused on loopback (DNS rebinding), and a body that
// is not application/json is refused, so an HTML form or a "simple" cross-site fetch changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../lib/control/client.js';
import { runVaurien, startVaurien } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { startEchoServer } from '../helpers/sockets.js';
import { call, startApi, type ApiAnswer } from './harness.js';

function assertRefused(answer: ApiAnswer, status: number, name: string, description: RegExp): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(answer.json.status, 'error');
  assert.equal(answer.json.errors.length, 1);
  assert.deepEqual(Object.keys(answer.json.errors[0]).sort(), ['description', 'location', 'name']);
  assert.equal(answer.json.errors[0].location, 'header');
  assert.equal(answer.json.errors[0].name, name);
  assert.match(answer.json.errors[0].description, description);
}

test('a request from another web page (a foreign Origin) is refused 403, and changes nothing', async (t) => {
  const echo = await startEchoServer(t);
  const { call: api, proxy, base } = await startApi(t, { backend: echo.address });
  const evil = { origin: 'http://evil.example' };
  assertRefused(await api('PUT', '/behavior', { name: 'blackout' }, evil), 403, 'Origin', /http:\/\/evil\.example.*--http-cors/);
  assertRefused(await api('PUT', '/backend', { backend: 'evil.example:25' }, evil), 403, 'Origin', /--http-cors/);
  assertRefused(await api('GET', '/stats', undefined, evil), 403, 'Origin', /--http-cors/);
  assertRefused(await api('GET', '/behavior', undefined, { origin: 'null' }), 403, 'Origin', /--http-cors/);
  // A preflight from it gets no CORS permission either.
  const preflight = await api('OPTIONS', '/behavior', undefined, { ...evil, 'access-control-request-method': 'PUT' });
  assert.equal(preflight.status, 403);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(proxy.getBehavior().behavior, 'dummy');
  assert.equal(proxy.getBackend().port, echo.port);
  // A page served from the API's own origin is not foreign.
  assert.equal((await api('PUT', '/behavior', { name: 'delay' }, { origin: base })).status, 200);
});

test('an origin allowed with the cors option gets CORS headers and its preflight answered; others stay refused', async (t) => {
  const echo = await startEchoServer(t);
  const dashboard = 'http://dash.example:3000';
  const { call: api, proxy } = await startApi(t, { backend: echo.address }, { cors: [dashboard] });
  const preflight = await api('OPTIONS', '/behavior', undefined, {
    origin: dashboard,
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'content-type, authorization',
  });
  assert.equal(preflight.status, 204, preflight.text);
  assert.equal(preflight.headers['access-control-allow-origin'], dashboard);
  assert.match(String(preflight.headers['access-control-allow-methods']), /PUT/);
  assert.match(String(preflight.headers['access-control-allow-headers']), /Content-Type/i);
  assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/i);
  assert.match(String(preflight.headers['vary']), /Origin/);

  const put = await api('PUT', '/behavior', { name: 'delay' }, { origin: dashboard });
  assert.equal(put.status, 200);
  assert.equal(put.headers['access-control-allow-origin'], dashboard);
  assert.equal(proxy.getBehavior().behavior, 'delay');
  // Its error answers carry the header too, so the page can read why.
  const refused = await api('PUT', '/behavior', { name: 'nope' }, { origin: dashboard });
  assert.equal(refused.status, 400);
  assert.equal(refused.headers['access-control-allow-origin'], dashboard);
  assertRefused(await api('PUT', '/behavior', { name: 'hang' }, { origin: 'http://dash.example:3001' }), 403, 'Origin', /--http-cors/);
  assert.equal(proxy.getBehavior().behavior, 'delay');
});

test('a Host header naming another site is refused 403 when the API listens on loopback (DNS rebinding)', async (t) => {
  const echo = await startEchoServer(t);
  const { call: api, proxy, api: running } = await startApi(t, { backend: echo.address });
  const port = running.address.port;
  assertRefused(await api('PUT', '/behavior', { name: 'blackout' }, { host: `evil.example:${port}` }), 403, 'Host', /evil\.example/);
  assertRefused(await api('GET', '/behavior', undefined, { host: 'attacker.test' }), 403, 'Host', /attacker\.test/);
  // A rebinding page is same-origin with itself: its Origin does not help it.
  assertRefused(await api('GET', '/behavior', undefined, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` }), 403, 'Host', /evil\.example/);
  assert.equal(proxy.getBehavior().behavior, 'dummy');
  for (const host of [`localhost:${port}`, `LocalHost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
    assert.equal((await api('GET', '/behavior', undefined, { host })).status, 200, host);
  }
});

test('listening on all interfaces (with a token), any Host name is served', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address }, { host: '0.0.0.0', token: 't0ken' });
  const base = `http://127.0.0.1:${api.address.port}`;
  const answer = await call(base, 'GET', '/behavior', undefined, { host: `proxy-host.example:${api.address.port}`, authorization: 'Bearer t0ken' });
  assert.equal(answer.status, 200, answer.text);
});

test('a body that is not application/json is refused 415, before it is read, and changes nothing', async (t) => {
  const echo = await startEchoServer(t);
  const { call: api, proxy } = await startApi(t, { backend: echo.address });
  const body = JSON.stringify({ name: 'blackout' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', '']) {
    assertRefused(await api('PUT', '/behavior', body, { 'content-type': type }), 415, 'Content-Type', /expected application\/json/);
  }
  assertRefused(await api('POST', '/backend', JSON.stringify({ backend: 'evil.example:25' }), { 'content-type': 'text/plain' }), 415, 'Content-Type', /application\/json/);
  assert.equal(proxy.getBehavior().behavior, 'dummy');
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON ; charset="UTF-8"']) {
    assert.equal((await api('PUT', '/behavior', body, { 'content-type': type })).status, 200, type);
  }
  // No body, no type needed: the answer is about the missing body.
  const empty = await api('PUT', '/behavior', undefined, {});
  assert.equal(empty.status, 400);
  assert.match(empty.json.errors[0].description, /empty body/);
});

test('the Client class (which vaurienctl uses) sends what the API asks for: JSON, and a Host the API accepts', async (t) => {
  const echo = await startEchoServer(t);
  const { api, proxy } = await startApi(t, { backend: echo.address });
  for (const host of ['127.0.0.1', 'localhost']) {
    const client = new Client({ host, port: api.address.port });
    await client.setBehavior('20:delay,10:error', { delay: { sleep: 0.5 } });
    assert.equal(await client.getBehavior(), '20:delay,10:error');
    await client.setBackend(echo.address);
    await client.setBehavior('dummy');
  }
  assert.equal(proxy.getBehavior().behavior, 'dummy');
});

test('--http-cors (and http_cors in the config file) allows an origin; a malformed one is a usage error', async (t) => {
  const echo = await startEchoServer(t);
  const origin = 'http://localhost:5173';
  const common = ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-host', '127.0.0.1', '--http-port', '0'];
  const withFlag = await startVaurien(t, [...common, '--http-cors', `${origin},https://ops.example`]);
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-cors-'));
  writeFileSync(join(dir, 'vaurien.ini'), `[vaurien]\nhttp_cors = ${origin}\n`);
  const withFile = await startVaurien(t, [...common, '--config', join(dir, 'vaurien.ini')]);
  for (const vaurien of [withFlag, withFile]) {
    const base = `http://127.0.0.1:${bannerApiPort(vaurien.banner)}`;
    const allowed = await call(base, 'PUT', '/behavior', { name: 'delay' }, { origin });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.headers['access-control-allow-origin'], origin);
    assert.equal((await call(base, 'GET', '/behavior', undefined, { origin: 'http://localhost:5174' })).status, 403);
  }
  const ops = await call(`http://127.0.0.1:${bannerApiPort(withFlag.banner)}`, 'GET', '/behavior', undefined, { origin: 'https://ops.example' });
  assert.equal(ops.headers['access-control-allow-origin'], 'https://ops.example');

  const malformed = await runVaurien([...common, '--http-cors', 'localhost:5173/app']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /^vaurien: --http-cors: expected an origin such as http:\/\/localhost:3000, got "localhost:5173\/app"\n$/);
});
