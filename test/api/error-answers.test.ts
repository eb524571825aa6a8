import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startApi, type ApiAnswer } from './harness.js';
import { Behavior } from '../../lib/registry/behaviors.js';
import '../../plugins/index.js';

function assertError(answer: ApiAnswer, status: number, name: string, description: RegExp): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(answer.json.status, 'error');
  assert.equal(answer.json.errors.length, 1);
  const [error] = answer.json.errors;
  assert.deepEqual(Object.keys(error).sort(), ['description', 'location', 'name']);
  assert.equal(error.name, name, JSON.stringify(error));
  assert.match(error.description, description);
}

test('every malformed behavior request gets a 400 naming the field, and changes nothing', async (t) => {
  const echo = await startEchoServer(t);
  const { port, call } = await startApi(t, { backend: echo.address });
  await call('PUT', '/behavior', { name: 'delay', sleep: 0.01 });
  const cases: Array<[unknown, string, RegExp]> = [
    ['{"name": "delay",', 'body', /invalid JSON/],
    ['', 'body', /empty body/],
    [[1, 2], 'body', /expected a JSON object/],
    [{ sleep: 2 }, 'name', /missing "name"/],
    [{ name: 42 }, 'name', /expected a behavior name/],
    [{ name: 'nope' }, 'name', /unknown behavior "nope" \(known: abort, bandwidth, blackout, delay, dummy, error, hang, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout, transient/],
    [{ name: 'delay', sleep: 'soon' }, 'sleep', /delay\.sleep: expected a number, got "soon"/],
    [{ name: 'delay', sleep: -1 }, 'sleep', /delay\.sleep: must be at least 0, got -1/],
    [{ name: 'delay', before: 'maybe' }, 'before', /expected true or false/],
    [{ name: 'error', warmup: 1.5 }, 'warmup', /expected an integer/],
    [{ name: 'delay', nap: 1 }, 'nap', /delay has no option "nap" \(known: sleep, before\)/],
    [{ name: 'hang', sleep: 1 }, 'sleep', /hang has no option "sleep" \(it takes none\)/],
    [{ name: '20:delay,10:error', sleep: 1 }, 'name', /options of a weighted set go in/],
    [{ behavior: '80:delay,30:error' }, 'behavior', /weights add up to 110, more than 100/],
    [{ behavior: 'x:delay' }, 'behavior', /malformed entry "x:delay"/],
    [{ behavior: '20:delay', options: { error: { warmup: 1 } } }, 'options.error', /"error" is not in "20:delay"/],
    [{ behavior: '20:delay', options: { delay: { sleep: 'x' } } }, 'options.delay.sleep', /expected a number/],
    [{ behavior: '20:delay', options: { delay: 3 } }, 'options.delay', /expected an object of delay's option values, e.g. {"delay": {"sleep": 1}}/],
    [{ behavior: '20:delay', options: [] }, 'options', /expected an object: {"sleep": 2} for one behavior/],
    [{ behavior: '20:delay,10:error', options: { sleep: 2 } }, 'options.sleep', /in a weighted set each behavior's options go under its name, e\.g\. {"delay": {"sleep": 2}}/],
    [{ behavior: 'delay', options: { slep: 1 } }, 'options.slep', /delay has no option "slep" \(known: sleep, before\)/],
    [{ behavior: 'delay', options: { delay: { sleep: 1 }, before: false } }, 'options.delay', /either flat or under "delay", not both/],
    [{ behavior: 20 }, 'behavior', /expected a string/],
    [{ behavior: 'delay', name: 'delay' }, 'name', /not both/],
    [{ behavior: 'delay', sleep: 1 }, 'sleep', /unknown field/],
  ];
  for (const [body, name, description] of cases) {
    assertError(await call('PUT', '/behavior', body), 400, name, description);
  }
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: 'delay', options: { delay: { sleep: 0.01, before: true } } });
  // and the proxy kept serving traffic through all of it
  assert.equal((await roundTrip(port, Buffer.from('still here'))).toString(), 'still here');
});

test('a malformed backend gets a 400 and the backend stays', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  assertError(await call('PUT', '/backend', { backend: 'nowhere' }), 400, 'backend', /expected HOST:PORT/);
  assertError(await call('PUT', '/backend', { backend: 'localhost:99999' }), 400, 'backend', /port must be 0-65535/);
  assertError(await call('PUT', '/backend', { backend: 'localhost:0' }), 400, 'backend', /^backend: port must be 1-65535, got "0"$/);
  assertError(await call('PUT', '/backend', { host: 'x' }), 400, 'backend', /missing "backend"/);
  assert.equal((await call('GET', '/backend')).json.backend, echo.address);
});

test('GET /behaviors/NAME of an unknown behavior answers 404 naming it and listing the known ones', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  const known = Behavior.names().join(', ');
  assert.ok(known.includes('abort, bandwidth, blackout'), known);
  assertError(await call('GET', '/behaviors/nope'), 404, 'behavior', new RegExp(`^unknown behavior "nope" \\(known: ${known}\\)$`));
});

test('unknown paths get 404 and wrong methods 405 with the allowed ones', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  assertError(await call('GET', '/nope'), 404, 'path', /no such endpoint: \/nope/);
  assertError(await call('GET', '/'), 404, 'path', /no such endpoint/);
  const wrong = await call('DELETE', '/behavior');
  assertError(wrong, 405, 'DELETE', /\/behavior accepts GET, HEAD, PUT, POST/);
  assert.equal(wrong.headers['allow'], 'GET, HEAD, PUT, POST');
  assertError(await call('POST', '/stats', {}), 405, 'POST', /accepts GET/);
  assertError(await call('PUT', '/behaviors', {}), 405, 'PUT', /accepts GET/);
  // a trailing slash is tolerated
  assert.equal((await call('GET', '/behavior/')).status, 200);
});

test('a body over 1 MiB gets 413, declared or streamed, and the API keeps answering', async (t) => {
  const echo = await startEchoServer(t);
  const { api, call } = await startApi(t, { backend: echo.address });
  const big = JSON.stringify({ name: 'delay', padding: 'x'.repeat(1024 * 1024) });
  assertError(await call('PUT', '/behavior', big), 413, 'body', /over 1048576 bytes/);

  // Streamed without a length: the server stops reading past the limit and answers 413.
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () => {
      socket.write('PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 8 * 1024 * 1024 && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    setTimeout(() => reject(new Error('the server never closed the connection')), 5000);
  });
  assert.match(raw, /^HTTP\/1\.1 413 /);
  assert.equal((await call('GET', '/behavior')).json.behavior, 'dummy');
  // Expect: 100-continue with a big declared body: refused before the client sends it.
  const refused = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () =>
      socket.write(`PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${big.length}\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => resolve(text));
  });
  assert.match(refused, /^HTTP\/1\.1 413 /, 'no "100 Continue" first');
});
