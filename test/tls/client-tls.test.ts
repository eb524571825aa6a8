// A proxy that terminates TLS from clients: a TLS client sees what a plaintext one sees (bytes,
// half-close, resets, backpressure, idle timeout), and a client whose handshake fails is closed
// alone, logged once, without the backend hearing of it or anyone else being disturbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { receivePattern, sendPattern, type PatternSource } from '../helpers/pattern.js';
import { startTestProxy } from '../helpers/proxy.js';
import { startEchoServer, startTcpServer } from '../helpers/sockets.js';
import { collect, howItEnds, startTlsEchoServer, startTlsServer, tlsClient } from '../helpers/tls-sockets.js';

const MiB = 1024 * 1024;
const HANDSHAKE_FAILED = /TLS client 127\.0\.0\.1:\d+: (handshake failed: |closed before its TLS handshake ended)/;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a TLS client gets its 1 MB back byte-exact through an echo backend, and its half-close still gets the whole answer', async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key } });
  const { socket } = await tlsClient(t, port, (await testAuthority()).cert);
  const payload = randomBytes(MiB);
  const answer = collect(socket);
  socket.end(payload); // close_notify and FIN: the echo answers after it
  assert.ok((await answer).equals(payload), 'the echoed bytes differ');
});

test('half-close across TLS on both hops: a backend that answers only after the client\'s FIN still gets its answer through', async (t) => {
  const certificate = await signedCertificate();
  const ca = (await testAuthority()).cert;
  // A TLS server that keeps writing after the client's close_notify and FIN (TLS 1.3 allows it).
  const backend = await startTlsServer(t, certificate, (socket) => {
    const received: Buffer[] = [];
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('end', () => socket.end(`got ${Buffer.concat(received).length} bytes`));
  });
  backend.server.on('secureConnection', (socket) => (socket.allowHalfOpen = true));
  const { port } = await startTestProxy(t, { backend: `localhost:${backend.port}`, tls: certificate, backendTls: { ca } });
  const { socket } = await tlsClient(t, port, ca);
  const answer = collect(socket);
  socket.end(randomBytes(100_000));
  assert.equal((await answer).toString(), 'got 100000 bytes');
});

test('a plaintext client on the TLS port is closed at once and logged once; a TLS client meanwhile is served, and the backend never sees the other', async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const log = recordingLogger('debug');
  const { port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key }, log });
  const good = await tlsClient(t, port, (await testAuthority()).cert);
  good.socket.write('before ');
  await once(good.socket, 'data');

  const plaintext = connect({ port, host: '127.0.0.1' }, () => plaintext.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.after(() => plaintext.destroy());
  const started = performance.now();
  await howItEnds(plaintext);
  assert.ok(performance.now() - started < 1000, 'the plaintext client was kept waiting');

  good.socket.write('after');
  const [echoed] = (await once(good.socket, 'data')) as [Buffer];
  assert.equal(echoed.toString(), 'after', 'the TLS client was disturbed');
  assert.equal(echo.accepted.length, 1, 'the backend got a connection for the plaintext client');
  const failures = log.lines.filter((line) => HANDSHAKE_FAILED.test(line));
  assert.equal(failures.length, 1, log.lines.join('\n'));
  assert.match(failures[0] as string, /^\[info\] .*http request/);
});

test('a bad ClientHello is closed at once; a client that never sends one is cut after the idle timeout, even with stayConnected', async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const log = recordingLogger('info');
  const { port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key }, timeout: 0.5, stayConnected: true, log });

  const garbled = connect({ port, host: '127.0.0.1' }, () => garbled.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])));
  const silent = connect({ port, host: '127.0.0.1' });
  t.after(() => garbled.destroy());
  t.after(() => silent.destroy());
  const started = performance.now();
  await howItEnds(garbled);
  assert.ok(performance.now() - started < 400, `the bad ClientHello was held ${performance.now() - started} ms`);
  await howItEnds(silent);
  const silentFor = performance.now() - started;
  assert.ok(silentFor >= 450 && silentFor < 2000, `the silent client was cut after ${silentFor} ms (timeout 500 ms)`);
  assert.equal(log.lines.filter((line) => HANDSHAKE_FAILED.test(line)).length, 2, log.lines.join('\n'));
  assert.ok(log.lines.some((line) => /ERR_TLS_HANDSHAKE_TIMEOUT/.test(line)), log.lines.join('\n'));
  assert.equal(echo.accepted.length, 0);
});

test('a client that ends during its handshake (a port probe) is let go at once, logged at debug only', async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const log = recordingLogger('debug');
  const { proxy, port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key }, timeout: 30, log });
  const probe = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => probe.end());
  t.after(() => probe.destroy());
  const started = performance.now();
  await howItEnds(probe);
  assert.ok(performance.now() - started < 1000, `the probe was held ${performance.now() - started} ms`);
  const lines = log.lines.filter((line) => HANDSHAKE_FAILED.test(line));
  assert.equal(lines.length, 1, log.lines.join('\n'));
  assert.match(lines[0] as string, /^\[debug\] .*closed before its TLS handshake ended/);
  assert.equal(proxy.stats().connections.total, 0, 'the probe counted as a connection');
});

test('an idle TLS connection is closed after the idle timeout, as a plaintext one is', async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key }, timeout: 0.3 });
  const { socket } = await tlsClient(t, port, (await testAuthority()).cert);
  socket.write('x');
  await once(socket, 'data');
  const started = performance.now();
  await howItEnds(socket);
  const idleFor = performance.now() - started;
  assert.ok(idleFor >= 250 && idleFor < 2000, `closed after ${idleFor} ms idle (timeout 300 ms)`);
});

test('resets cross TLS: a backend reset reaches the TLS client as ECONNRESET, a TLS client reset reaches a TLS backend as ECONNRESET', async (t) => {
  const { key, cert } = await signedCertificate();
  const ca = (await testAuthority()).cert;
  // A plaintext backend that resets at the first byte: the TLS client must see a reset too.
  const resetting = await startTcpServer(t, (socket) => socket.once('data', () => socket.resetAndDestroy()));
  const toPlain = await startTestProxy(t, { backend: resetting.address, tls: { cert, key } });
  const first = await tlsClient(t, toPlain.port, ca);
  const firstEnds = howItEnds(first.socket);
  first.socket.write('boom');
  assert.equal(await firstEnds, 'ECONNRESET');

  // TLS on both sides: the client's TCP socket resets mid-session; the TLS backend sees a reset.
  const backend = await startTlsEchoServer(t, { key, cert });
  const both = await startTestProxy(t, { backend: `localhost:${backend.port}`, tls: { cert, key }, backendTls: { ca } });
  const second = await tlsClient(t, both.port, ca);
  second.socket.write('hello');
  await once(second.socket, 'data');
  const backendSocket = backend.accepted[0];
  assert.ok(backendSocket !== undefined);
  const backendEnds = howItEnds(backendSocket);
  second.socket.on('error', () => {});
  second.tcp.resetAndDestroy();
  assert.equal(await backendEnds, 'ECONNRESET');
});

test('a TLS client that stops reading stops the backend; the stream then resumes byte-exact', { timeout: 60_000 }, async (t) => {
  const { key, cert } = await signedCertificate();
  const total = 48 * MiB;
  let source: PatternSource | undefined;
  const backend = await startTcpServer(t, (socket) => (source = sendPattern(socket, total)));
  const { port } = await startTestProxy(t, { backend: backend.address, tls: { cert, key } });
  const { socket } = await tlsClient(t, port, (await testAuthority()).cert);
  socket.pause();
  const sink = receivePattern(socket);
  socket.pause();
  // The writer stalls: it made no progress for 300 ms.
  let last = -1;
  while (source === undefined || source.sent() !== last) {
    last = source?.sent() ?? -1;
    await sleep(300);
  }
  const inFlight = last - sink.received();
  t.diagnostic(`the backend stalled with ${(inFlight / MiB).toFixed(1)} MB sent towards a client that reads nothing`);
  assert.ok(inFlight < 24 * MiB, `${(inFlight / MiB).toFixed(1)} MB went out towards a reader that reads nothing`);
  socket.resume();
  assert.equal(await sink.ended, total);
  assert.equal(sink.error(), undefined);
});

test('close(): a handshake under way does not hold up the shutdown, nor does an idle TLS connection', { timeout: 20_000 }, async (t) => {
  const { key, cert } = await signedCertificate();
  const echo = await startEchoServer(t);
  const { proxy, port } = await startTestProxy(t, { backend: echo.address, tls: { cert, key }, timeout: 30 });
  const idle = await tlsClient(t, port, (await testAuthority()).cert);
  idle.socket.write('x');
  await once(idle.socket, 'data');
  const handshaking = connect({ port, host: '127.0.0.1' }); // says nothing: its handshake never ends
  t.after(() => handshaking.destroy());
  await once(handshaking, 'connect');
  await sleep(50);
  const started = performance.now();
  await proxy.close(5);
  assert.ok(performance.now() - started < 1000, `close(5) took ${performance.now() - started} ms`);
});
