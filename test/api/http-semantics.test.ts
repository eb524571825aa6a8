// HTTP as clients expect it from the control API: HEAD answers like GET without a body, and a
// client that asks `Expect: 100-continue` learns it is refused (token, origin, host, content
// type, size) before it is invited to send its body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { parseRawAnswer, type RawAnswer } from '../helpers/control-api.js';
import { rawCall, startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

test('HEAD on a GET endpoint answers like GET, without a body', async (t) => {
  const echo = await startEchoServer(t);
  const { api, call } = await startApi(t, { backend: echo.address });
  for (const path of ['/behavior', '/behaviors', '/behaviors/delay', '/backend', '/stats', '/metrics']) {
    const get = await call('GET', path);
    const raw = await rawCall(api.address.port, `HEAD ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const head = parseRawAnswer(raw);
    assert.ok(head !== undefined, raw);
    assert.equal(head.status, 200, `HEAD ${path}: ${raw}`);
    assert.equal(head.headers['content-type'], get.headers['content-type']);
    assert.ok(Number(head.headers['content-length']) > 0, `HEAD ${path} announces no length`);
    assert.equal(head.body, '', `HEAD ${path} sent a body`);
  }
  const wrong = await call('DELETE', '/stats');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers['allow'], 'GET, HEAD');
});

/** Sends the head of a request with `Expect: 100-continue` and resolves with the server's first answer. */
function firstAnswer(port: number, head: string): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(head));
    let text = '';
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(parseRawAnswer(text.startsWith('HTTP/1.1 100') ? `${text}HTTP/1.1 000 X\r\n\r\n` : text));
      }
    });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(parseRawAnswer(text)));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

test('Expect: 100-continue gets its refusal before any "100 Continue"; an acceptable request gets 100 then its answer', async (t) => {
  const echo = await startEchoServer(t);
  const { api, proxy } = await startApi(t, { backend: echo.address }, { token: 's3cret' });
  const port = api.address.port;
  const put = (headers: string): string =>
    `PUT /behavior HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 20\r\n${headers}\r\n`;
  const good = 'Authorization: Bearer s3cret\r\nContent-Type: application/json\r\n';
  const refusals: Array<[string, number]> = [
    ['Content-Type: application/json\r\n', 401],
    ['Authorization: Bearer wrong\r\nContent-Type: application/json\r\n', 401],
    [`${good}Origin: http://evil.example\r\n`, 403],
    [good.replace('application/json', 'text/plain'), 415],
  ];
  for (const [headers, status] of refusals) {
    const answer = await firstAnswer(port, put(headers));
    assert.ok(answer !== undefined, headers);
    assert.deepEqual(answer.interim, [], `"100 Continue" was sent before the ${status} (${JSON.stringify(headers)})`);
    assert.equal(answer.status, status, answer.raw);
  }
  const rebinding = await firstAnswer(port, put(good).replace('Host: localhost', 'Host: evil.example'));
  assert.deepEqual([rebinding?.interim, rebinding?.status], [[], 403]);
  assert.equal(proxy.getBehavior().behavior, 'dummy');

  // All good: 100 Continue, then the body, then 200.
  const body = JSON.stringify({ name: 'delay' }).padEnd(20, ' ');
  const full = await new Promise<string>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(put(`${good}Connection: close\r\n`)));
    let text = '';
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (text === 'HTTP/1.1 100 Continue\r\n\r\n') socket.write(body);
    });
    socket.on('close', () => resolve(text));
  });
  assert.match(full, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  assert.equal(proxy.getBehavior().behavior, 'delay');
});

test('what never reaches a route still gets a JSON error: not HTTP, huge headers, CONNECT, an unknown Expect, no Host', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address });
  const cases: Array<[string, number]> = [
    ['\x00\x01\x02 not http at all\r\n\r\n', 400],
    [`GET /behavior HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`, 431],
    ['CONNECT localhost:80 HTTP/1.1\r\nHost: localhost\r\n\r\n', 405],
    ['GET /behavior HTTP/1.1\r\nHost: localhost\r\nExpect: a-pony\r\n\r\n', 417],
    ['GET /behavior HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
  ];
  for (const [request, status] of cases) {
    const raw = await rawCall(api.address.port, request);
    const answer = parseRawAnswer(raw);
    assert.ok(answer !== undefined, `${JSON.stringify(request.slice(0, 40))}: ${JSON.stringify(raw)}`);
    assert.equal(answer.status, status, raw);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/, raw);
    const body = JSON.parse(answer.body) as { status: string; errors: Array<Record<string, string>> };
    assert.equal(body.status, 'error');
    assert.deepEqual(Object.keys(body.errors[0] ?? {}).sort(), ['description', 'location', 'name']);
  }
});

test('a request path is read as a path: "//evil/behavior" and "/\\" name no endpoint (404), never a host or a 500', async (t) => {
  const echo = await startEchoServer(t);
  const { api, call } = await startApi(t, { backend: echo.address });
  for (const path of ['//evil/behavior', '/\\', '/\\\\evil/behavior', '//']) {
    const raw = await rawCall(api.address.port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 404 [^]*no such endpoint/, `${path}: ${raw}`);
  }
  // The absolute form HTTP/1.1 allows still reaches the endpoint it names.
  assert.match(await rawCall(api.address.port, 'GET http://localhost/behavior HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  assert.equal((await call('GET', '/behavior')).status, 200);
});
