// A proxy composed by hand from vaurien's engine: each connection's two pipelines come from
// createPipelines() (framing both directions, drawing behaviors, answering errors in turn) and
// run as stream-chain chains. Run: node --test examples/compose-by-hand.test.js
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, get } from 'node:http';
import { connect, createServer } from 'node:net';
import { chain } from 'stream-chain';
import { createPipelines } from 'vaurien';

let backend;
let settings = { protocol: 'http', behavior: '100:dummy' };
let proxy;
let baseUrl;

before(async () => {
  backend = createHttpServer((request, response) => response.end('hello')).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  proxy = createServer({ allowHalfOpen: true }, (client) => {
    const server = connect({ port: backend.address().port, host: '127.0.0.1', allowHalfOpen: true });
    const { request, response, pipelines } = createPipelines({ client, backend: server, ...settings });
    client.pipe(chain(request)); // client → framer → behaviors → backend
    server.pipe(chain(response)); // backend → framer → behaviors → client
    client.on('close', () => {
      pipelines.stop(); // no timer outlives the connection
      server.destroy();
    });
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  }).listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  baseUrl = `http://127.0.0.1:${proxy.address().port}`;
});

/** GET `path` on a new connection (each connection draws its pipelines from the settings of its time). */
function fetchOnce(path) {
  return new Promise((resolve, reject) => {
    get(`${baseUrl}${path}`, { agent: false }, (response) => {
      let body = '';
      response.on('data', (data) => (body += data));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    }).on('error', reject);
  });
}

after(() => {
  proxy.close();
  backend.close();
});

test('under dummy, the answer comes through unchanged', async () => {
  settings = { protocol: 'http', behavior: '100:dummy' };
  assert.equal((await fetchOnce('/greeting')).body, 'hello');
});

test('under error, the client gets the protocol’s own 50x', async () => {
  settings = { protocol: 'http', behavior: '100:error' };
  assert.match(String((await fetchOnce('/greeting')).status), /^50[123]$/);
});

test('under delay, the answer comes `sleep` seconds late', async () => {
  settings = { protocol: 'http', behavior: '100:delay', options: { delay: { sleep: 0.2 } } };
  const started = performance.now();
  assert.equal((await fetchOnce('/greeting')).body, 'hello');
  assert.ok(performance.now() - started >= 190);
});
