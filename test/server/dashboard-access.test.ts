// Browsers and a `vaurien server` (SPEC 11, 15): a `Mozilla/` request gets Toxiproxy's 403, but
// the dashboard's files load and its own requests (X-Vaurien-Dashboard, this server's Host and
// Origin) are served; another site's page can neither send that header nor pass as the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startToxiproxyServer } from '../helpers/toxiproxy-server.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const answer = await request(url, { method: method as 'GET', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: answer.statusCode, text: await answer.body.text(), headers: answer.headers };
}

test('a plain browser request gets 403 as from Toxiproxy; the same with the dashboard’s header is served', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const refused = await call(`${server.url}/proxies`, 'GET', { 'user-agent': BROWSER });
  assert.deepEqual([refused.status, refused.text], [403, 'User agent not allowed\n']);
  const created = await call(`${server.url}/proxies`, 'POST', { 'user-agent': BROWSER }, { name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
  assert.equal(created.status, 403);
  assert.equal(server.registry.all().length, 0, 'a refused request changes nothing');

  const dashboard = { 'user-agent': BROWSER, 'x-vaurien-dashboard': '1' };
  const listed = await call(`${server.url}/proxies`, 'GET', dashboard);
  assert.deepEqual([listed.status, listed.text], [200, '{}']);
  const made = await call(`${server.url}/proxies`, 'POST', { ...dashboard, origin: server.url, 'content-type': 'application/json' }, { name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
  assert.equal(made.status, 201, made.text);
  const types = await call(`${server.url}/behaviors?details=true`, 'GET', dashboard);
  const latency = (JSON.parse(types.text) as { behaviors: Array<{ name: string; options: Record<string, unknown> }> }).behaviors.find((type) => type.name === 'latency');
  assert.deepEqual(Object.keys(latency?.options ?? {}), ['latency', 'jitter', 'stream']);
});

test('the dashboard’s files load in a browser without a token; its data needs the token', async (t) => {
  const { server } = await startToxiproxyServer(t, { token: 's3cret' });
  const page = await call(`${server.url}/ui/`, 'GET', { 'user-agent': BROWSER });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /<script type="module" src="\.\/app\.js">/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  for (const file of ['app.js', 'style.css', 'vendor/uplot.js']) assert.equal((await call(`${server.url}/ui/${file}`, 'GET', { 'user-agent': BROWSER })).status, 200, file);
  const moved = await call(`${server.url}/ui`, 'GET', {});
  assert.deepEqual([moved.status, moved.headers['location']], [301, '/ui/']);
  assert.equal((await call(`${server.url}/ui/nope.js`, 'GET', {})).status, 404);
  assert.equal((await call(`${server.url}/proxies`, 'GET', { 'user-agent': BROWSER, 'x-vaurien-dashboard': '1' })).status, 401);
  assert.equal((await call(`${server.url}/proxies`, 'GET', { 'user-agent': BROWSER, 'x-vaurien-dashboard': '1', authorization: 'Bearer s3cret' })).status, 200);
});

test('another site cannot pass as the dashboard: a foreign Origin or Host is refused, and no preflight is granted', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const dashboard = { 'user-agent': BROWSER, 'x-vaurien-dashboard': '1' };
  const foreignOrigin = await call(`${server.url}/proxies`, 'POST', { ...dashboard, origin: 'http://evil.example' }, { name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
  assert.equal(foreignOrigin.status, 403);
  assert.match(foreignOrigin.text, /http:\/\/evil\.example are refused/);
  // DNS rebinding: evil.example resolving to 127.0.0.1 makes the page same-origin with itself.
  const rebound = await call(`${server.url}/proxies`, 'GET', { ...dashboard, host: `evil.example:${server.address.port}` });
  assert.equal(rebound.status, 403);
  assert.match(rebound.text, /DNS rebinding/);
  const preflight = await call(`${server.url}/proxies`, 'OPTIONS', {
    'user-agent': BROWSER,
    origin: 'http://evil.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'x-vaurien-dashboard',
  });
  assert.notEqual(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(server.registry.all().length, 0);
  // Without the header, a browser gets Toxiproxy's own 403, whatever its Host and Origin.
  const plain = await call(`${server.url}/proxies`, 'GET', { 'user-agent': BROWSER, host: `evil.example:${server.address.port}`, origin: 'http://evil.example' });
  assert.deepEqual([plain.status, plain.text], [403, 'User agent not allowed\n']);
  // A Toxiproxy client (no browser) is never asked for any of this.
  assert.equal((await call(`${server.url}/proxies`, 'GET', { host: 'toxiproxy:8474', origin: 'http://whatever' })).status, 200);
});
