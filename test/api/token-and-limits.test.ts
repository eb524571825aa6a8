import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

test('with a token, every request needs "Authorization: Bearer TOKEN", else 401', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address }, { token: 's3cret' });

  const missing = await call('GET', '/behavior');
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="vaurien"');
  assert.deepEqual(missing.json, {
    status: 'error',
    errors: [{ location: 'header', name: 'Authorization', description: 'missing or wrong bearer token' }],
  });
  assert.equal((await call('GET', '/behavior', undefined, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await call('GET', '/behavior', undefined, { authorization: 'Bearer s3cret-and-more' })).status, 401);
  assert.equal((await call('GET', '/behavior', undefined, { authorization: 's3cret' })).status, 401);
  assert.equal((await call('GET', '/behavior', undefined, { authorization: 'Basic czNjcmV0' })).status, 401);
  // Nothing leaks without the token: not even which paths exist, and nothing changes.
  assert.equal((await call('GET', '/nope')).status, 401);
  assert.equal((await call('PUT', '/behavior', { name: 'blackout' })).status, 401);

  const auth = { authorization: 'Bearer s3cret' };
  assert.deepEqual((await call('GET', '/behavior', undefined, auth)).json.behavior, 'dummy');
  assert.equal((await call('PUT', '/behavior', { name: 'delay' }, { authorization: 'bearer s3cret' })).status, 200, 'the scheme is case-insensitive');
  assert.equal((await call('GET', '/behavior', undefined, auth)).json.behavior, 'delay');
  assert.equal((await call('GET', '/nope', undefined, auth)).status, 404);
});

test('without a token, no Authorization header is needed', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address });
  assert.equal((await call('GET', '/stats')).status, 200);
  assert.equal((await call('GET', '/stats', undefined, { authorization: 'Bearer anything' })).status, 200);
});

test('a client that never finishes its headers is cut off (slowloris)', async (t) => {
  const echo = await startEchoServer(t);
  const { api, call } = await startApi(t, { backend: echo.address }, { headersTimeoutMs: 300 });
  const started = performance.now();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () => socket.write('GET /behavior HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`);
  assert.match(answer, /^(HTTP\/1\.1 408 |$)/);
  // meanwhile and afterwards, others are served
  assert.equal((await call('GET', '/behavior')).status, 200);
});

test('an error answer keeps the connection usable for the next request', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address });
  const answers = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () => {
      socket.write('GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n');
      socket.write('PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"bad":1');
      socket.write('GET /behavior HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => resolve(text));
  });
  const statuses = [...answers.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((match) => match[1]);
  assert.deepEqual(statuses, ['404', '400', '200']);
});
