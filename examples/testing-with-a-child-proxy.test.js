// Testing with vaurien running as its own process, steered through its control API, as the
// original's start_proxy/Client did. Run: node --test examples/testing-with-a-child-proxy.test.js
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { Client, startProxy, stopProxy } from 'vaurien';

async function greeting(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/greeting`, { signal: AbortSignal.timeout(500) });
    return response.ok ? await response.text() : 'fallback';
  } catch {
    return 'fallback';
  }
}

/** A port nothing listens on right now (the defaults, 8000 and 8080, work too). */
async function freePort() {
  const server = createServer().listen(0, 'localhost');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let backend;
let pid;
let client;
let baseUrl;

before(async () => {
  backend = createServer((request, response) => response.end('hello')).listen(0, 'localhost');
  await once(backend, 'listening');
  const proxyPort = await freePort();
  const httpPort = await freePort();
  pid = await startProxy({ proxyPort, backendPort: backend.address().port, protocol: 'http', httpPort });
  client = new Client({ port: httpPort }); // localhost
  baseUrl = `http://localhost:${proxyPort}`;
});

after(async () => {
  await stopProxy(pid); // resolves once the process is gone
  backend.close();
});

test('errors injected for the duration of a block, then back to normal', async () => {
  await client.withBehavior('error', async () => {
    assert.equal(await greeting(baseUrl), 'fallback');
  });
  assert.equal(await client.getBehavior(), 'dummy');
  assert.equal(await greeting(baseUrl), 'hello');
});

test('the previous behavior comes back even when the block throws', async () => {
  await client.setBehavior('10:delay', { sleep: 0.1 });
  await assert.rejects(client.withBehavior('blackout', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await client.getBehavior(), '10:delay');
});
