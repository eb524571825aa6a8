// Mistakes sent to a `vaurien server` get Toxiproxy's status and `{"error", "status"}` answer, one
// line, no stack; the server and its proxies keep serving through all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Protocol } from '../../lib/registry/protocols.js';
import { session, startScriptedBackend, startToxiproxyServer } from '../helpers/toxiproxy-server.js';

test('bad requests get Toxiproxy’s answers while a proxy keeps carrying traffic', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const created = await fetch(`${server.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'ok', listen: '127.0.0.1:0', upstream: backend.address }) });
  const { listen } = (await created.json()) as { listen: string };
  const port = Number(listen.split(':')[1]);
  const cases: Array<[string, string, string | undefined, number, string]> = [
    ['POST', '/proxies', '{"name":"x",', 400, 'bad request body: unexpected EOF'],
    ['POST', '/proxies', 'not json', 400, 'bad request body: invalid JSON'],
    ['POST', '/proxies', '', 400, 'bad request body: EOF'],
    ['POST', '/proxies', '{"name":"x"}}', 400, 'bad request body: invalid JSON at character 12'],
    ['POST', '/proxies', '{"listen":"127.0.0.1:0","upstream":"x"}', 400, 'missing required field: name'],
    ['POST', '/proxies', `{"name":"taken","listen":"${listen}","upstream":"x"}`, 500, `listen tcp ${listen}: bind: address already in use`],
    ['POST', '/proxies', '{"name":"bad","listen":"nonsense","upstream":"x"}', 500, 'listen tcp: address nonsense: missing port in address'],
    ['POST', '/proxies', '{"name":"p","upstream":"x","protocol":"gopher"}', 400, `bad request body: unknown protocol "gopher" (known: ${Protocol.names().join(', ')})`],
    ['POST', '/proxies/ok/toxics', '{"type":"earthquake"}', 400, 'invalid toxic type'],
    ['POST', '/proxies/ok/toxics', '{"type":"latency","attributes":{"latency":-5}}', 400, 'bad request body: attributes.latency: must be at least 0, got -5'],
    ['POST', '/proxies/ok/toxics', '{"type":"latency","attributes":{"latency":"slow"}}', 400, 'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64'],
    ['POST', '/proxies/ok/toxics', '{"type":"slicer","attributes":{"average_size":1.5}}', 400, 'bad request body: json: cannot unmarshal number 1.5 into Go struct field SlicerToxic.attributes.average_size of type int'],
    ['POST', '/proxies/ok/toxics', '{"type":"delay","attributes":{"sleep":-1}}', 400, 'bad request body: attributes.sleep: must be at least 0, got -1'],
    ['POST', '/proxies/ok/toxics', '{"type":"noop","stream":"sideways"}', 400, 'stream was invalid, can be either upstream or downstream'],
    ['POST', '/proxies/ok/toxics', '{"type":"noop","duration":-1}', 400, 'bad request body: duration: expected a number of seconds, more than 0 and at most 2147483, got -1'],
    ['GET', '/proxies/nope', undefined, 404, 'proxy not found'],
    ['POST', '/proxies/nope/toxics', '{"type":"latency"}', 404, 'proxy not found'],
    ['GET', '/proxies/ok/toxics/nope', undefined, 404, 'toxic not found'],
    ['PATCH', '/proxies/ok/toxics/nope', '{}', 404, 'toxic not found'],
    ['DELETE', '/proxies/ok/toxics/nope', undefined, 404, 'toxic not found'],
    ['PATCH', '/proxies/ok', '{"enabled":"yes"}', 400, 'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool'],
  ];
  for (const [method, path, body, status, error] of cases) {
    const answer = await fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { body } : {}) });
    assert.equal(answer.status, status, `${method} ${path} ${body ?? ''}`);
    assert.equal(answer.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await answer.text(), `${JSON.stringify({ error, status })}\n`, `${method} ${path} ${body ?? ''}`);
    assert.equal((await session(port, 'ECHO\nx', { stopAt: 4 })).data.toString(), 'ok\nx', `traffic after ${method} ${path}`);
  }
  const proxies = (await (await fetch(`${server.url}/proxies`)).json()) as Record<string, { toxics: unknown[] }>;
  assert.deepEqual(Object.keys(proxies), ['ok'], 'no failed request left a proxy behind');
  assert.deepEqual(proxies['ok']?.toxics, [], 'nor a toxic');
});

test('a body over 1 MiB is refused with 413 without being read whole', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const answer = await fetch(`${server.url}/proxies`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(answer.status, 413);
  assert.deepEqual(await answer.json(), { error: 'request body over 1048576 bytes', status: 413 });
  assert.equal((await fetch(`${server.url}/version`)).status, 200);
});

test('with a token, a request without it gets 401 and changes nothing', async (t) => {
  const { server } = await startToxiproxyServer(t, { token: 's3cret' });
  const refused = await fetch(`${server.url}/proxies`, { method: 'POST', body: '{"name":"x","upstream":"y","listen":"127.0.0.1:0"}' });
  assert.equal(refused.status, 401);
  const allowed = await fetch(`${server.url}/proxies`, { headers: { Authorization: 'Bearer s3cret' } });
  assert.deepEqual(await allowed.json(), {});
});
