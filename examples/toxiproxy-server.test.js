// Testing with vaurien as a Toxiproxy server, in-process: toxiproxy-node-client drives it as it
// would drive toxiproxy-server. Run: node --test examples/toxiproxy-server.test.js
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { Toxiproxy } from 'toxiproxy-node-client';
import { createServer } from 'vaurien';

// The application under test: fetches a greeting, falls back when the backend is too slow.
async function greeting(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/greeting`, { signal: AbortSignal.timeout(300) });
    return await response.text();
  } catch {
    return 'fallback';
  }
}

let backend;
let server;
let proxy;
let baseUrl;

before(async () => {
  backend = createHttpServer((request, response) => response.end('hello')).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  server = await createServer({ host: '127.0.0.1', port: 0, seed: 1 }); // port 0: any free port
  const toxiproxy = new Toxiproxy(server.url);
  proxy = await toxiproxy.createProxy({ name: 'greeter', listen: '127.0.0.1:0', upstream: `127.0.0.1:${backend.address().port}` });
  baseUrl = `http://${proxy.listen}`; // the real port, resolved
});

after(async () => {
  await server.close(); // its proxies and their connections close with it
  backend.close();
});

test('the greeting comes through a proxy without toxics', async () => {
  assert.equal(await greeting(baseUrl), 'hello');
});

test('a 1 s latency on the answers gives the fallback; removing it brings the greeting back', async () => {
  const toxic = await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 0 } });
  assert.equal(await greeting(baseUrl), 'fallback');
  await toxic.remove();
  assert.equal(await greeting(baseUrl), 'hello');
});
