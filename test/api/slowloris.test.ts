// Slow or idle API connections cannot lock others out (SPEC 18): while hundreds of clients
// trickle their headers (and reconnect as soon as they are cut), every legitimate request is
// answered; a request without the token is refused before its body is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { rawCall, startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

const SLOW_CLIENTS = 300;
const LEGITIMATE_REQUESTS = 20;

/**
 * `count` clients that each send a request line and then one header byte every 200 ms, forever;
 * one that is cut reconnects 100 ms later, as an attacker would. Resolves once all are connected.
 */
async function slowloris(port: number, count: number): Promise<{ stop(): void; connected(): number }> {
  let running = true;
  let open = 0;
  const sockets = new Set<Socket>();
  const start = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      sockets.add(socket);
      const trickle = setInterval(() => socket.write('X'), 200);
      let counted = false;
      socket.once('connect', () => {
        open++;
        counted = true;
        socket.write('GET /behavior HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
        resolve();
      });
      socket.on('error', () => resolve());
      socket.once('close', () => {
        clearInterval(trickle);
        sockets.delete(socket);
        if (counted) open--;
        if (running) setTimeout(() => void start(), 100);
      });
    });
  await Promise.all(Array.from({ length: count }, start));
  return {
    connected: () => open,
    stop() {
      running = false;
      for (const socket of sockets) socket.destroy();
    },
  };
}

test(`while ${SLOW_CLIENTS} slowloris clients trickle headers and reconnect, all ${LEGITIMATE_REQUESTS} legitimate requests are answered`, { timeout: 30_000 }, async (t) => {
  const echo = await startEchoServer(t);
  const { api, proxy } = await startApi(t, { backend: echo.address });
  const attack = await slowloris(api.address.port, SLOW_CLIENTS);
  t.after(() => attack.stop());
  await new Promise((resolve) => setTimeout(resolve, 300));

  const failures: string[] = [];
  for (let batch = 0; batch < LEGITIMATE_REQUESTS / 5; batch++) {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => rawCall(api.address.port, 'GET /behavior HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')),
    );
    for (const answer of answers) if (!/^HTTP\/1\.1 200 /.test(answer)) failures.push(JSON.stringify(answer.slice(0, 60)));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.diagnostic(`${failures.length} of ${LEGITIMATE_REQUESTS} legitimate requests failed among ${attack.connected()} slow clients`);
  assert.deepEqual(failures, [], `${failures.length} of ${LEGITIMATE_REQUESTS} legitimate requests failed`);
  assert.equal(proxy.getBehavior().behavior, 'dummy');
});

test('a client that has not sent its headers within the headers timeout gets a JSON 408 and is closed, even one that trickles', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address }, { headersTimeoutMs: 400 });
  const started = performance.now();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () => socket.write('GET /behavior HTTP/1.1\r\nHost: localhost\r\nX-Slow: '));
    const trickle = setInterval(() => socket.write('X'), 50);
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => {
      clearInterval(trickle);
      resolve(text);
    });
    socket.on('error', () => {});
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 350 && elapsed < 3000, `closed after ${elapsed.toFixed(0)} ms`);
  assert.match(answer, /^(HTTP\/1\.1 408 [^]*"status": "error"|$)/);
});

test('without the token, a request is refused (401) before its body is read', async (t) => {
  const echo = await startEchoServer(t);
  const { api } = await startApi(t, { backend: echo.address }, { token: 's3cret' });
  const started = performance.now();
  // The body is announced and never sent: only an answer that does not wait for it arrives.
  const answer = await new Promise<string>((resolve) => {
    const socket = connect({ port: api.address.port, host: '127.0.0.1' }, () =>
      socket.write('PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{'),
    );
    socket.once('data', (data: Buffer) => {
      socket.destroy();
      resolve(data.toString('latin1'));
    });
    socket.on('error', () => resolve(''));
  });
  assert.match(answer, /^HTTP\/1\.1 401 /);
  assert.ok(performance.now() - started < 1000, 'the answer waited for the body');
});
