// Testing an application's resilience with vaurien in-process: the app reaches its backend
// through a proxy that each test steers. Run: node --test examples/testing-in-process.test.js
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createProxy } from 'vaurien';

// The application under test: fetches a greeting, falls back when the backend misbehaves.
async function greeting(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/greeting`, { signal: AbortSignal.timeout(500) });
    return response.ok ? await response.text() : 'fallback';
  } catch {
    return 'fallback';
  }
}

let backend;
let proxy;
let baseUrl;

before(async () => {
  backend = createServer((request, response) => response.end('hello')).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  proxy = createProxy({ backend: `127.0.0.1:${backend.address().port}`, protocol: 'http', seed: 1 });
  const { port } = await proxy.listen(0, '127.0.0.1'); // port 0: any free port
  baseUrl = `http://127.0.0.1:${port}`;
});

after(async () => {
  await proxy.close();
  backend.close();
});

test('the greeting comes through when the backend is healthy', async () => {
  proxy.setBehavior('dummy');
  assert.equal(await greeting(baseUrl), 'hello');
});

test('a 50x from the backend gives the fallback', async () => {
  proxy.setBehavior('error'); // 100% of exchanges get a 501, 502 or 503
  assert.equal(await greeting(baseUrl), 'fallback');
});

test('a backend slower than the timeout gives the fallback', async () => {
  proxy.setBehavior('delay', { sleep: 1 }); // one behavior: its options flat
  assert.equal(await greeting(baseUrl), 'fallback');
});

test('one request in two failing still lets a retry through', async () => {
  proxy.setBehavior('50:error');
  const answers = await Promise.all(Array.from({ length: 20 }, () => greeting(baseUrl)));
  assert.ok(answers.includes('hello') && answers.includes('fallback'));
  assert.ok(proxy.stats().exchanges.error > 0);
});
