// A proxy that connects to its backend with TLS: the backend's certificate is checked (CA, name,
// sent as SNI), and a backend whose handshake fails is unavailable as a refusing one is (http: a
// 502, others a closed connection), with one log line saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { localhostCertificate, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { startTestProxy } from '../helpers/proxy.js';
import { rawCall, rawClient, roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startTlsEchoServer, startTlsServer } from '../helpers/tls-sockets.js';

test('with the backend CA, bytes cross byte-exact both ways, and the backend is asked for its host name (SNI)', async (t) => {
  const backend = await startTlsEchoServer(t, await signedCertificate());
  const { port } = await startTestProxy(t, { backend: `localhost:${backend.port}`, backendTls: { ca: (await testAuthority()).cert } });
  const payload = randomBytes(512 * 1024);
  assert.ok((await roundTrip(port, payload)).equals(payload));
  assert.equal(backend.accepted[0]?.servername, 'localhost');
});

test('a backend named by its IP address is checked against the IP in its certificate, and gets no SNI (RFC 6066)', async (t) => {
  const backend = await startTlsEchoServer(t, await signedCertificate());
  const { port } = await startTestProxy(t, { backend: backend.address, backendTls: { ca: (await testAuthority()).cert } });
  assert.equal((await roundTrip(port, Buffer.from('ping'))).toString(), 'ping');
  assert.equal(backend.accepted[0]?.servername, false);
});

test('a backend certificate from another CA: http gets a 502, tcp a closed connection, and one log line says why', async (t) => {
  const backend = await startTlsServer(t, await localhostCertificate(), (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const ca = (await testAuthority()).cert;
  const log = recordingLogger('debug');
  const http = await startTestProxy(t, { backend: `localhost:${backend.port}`, protocol: 'http', backendTls: { ca }, log });
  const answer = await rawCall(http.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  const lines = log.lines.filter((line) => line.includes('unavailable'));
  assert.equal(lines.length, 1, log.lines.join('\n'));
  assert.match(lines[0] as string, /backend localhost:\d+ unavailable: TLS handshake failed: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);

  const tcp = await startTestProxy(t, { backend: `localhost:${backend.port}`, backendTls: { ca } });
  const client = await rawClient(t, tcp.port);
  assert.equal(await client.ended, 'end');
  assert.equal(client.received().length, 0);
});

test('a backend certificate for another host name is refused: the backend is unavailable, the log names the mismatch', async (t) => {
  const backend = await startTlsEchoServer(t, await signedCertificate(['elsewhere.test']));
  const log = recordingLogger('warning');
  const { port } = await startTestProxy(t, { backend: `localhost:${backend.port}`, protocol: 'http', backendTls: { ca: (await testAuthority()).cert }, log });
  assert.match(await rawCall(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 502 /);
  assert.equal(log.lines.length, 1, log.lines.join('\n'));
  assert.match(log.lines[0] as string, /TLS handshake failed: Host: localhost\. is not in the cert's altnames: DNS:elsewhere\.test \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
});

test('insecure backend TLS takes any certificate', async (t) => {
  const backend = await startTlsEchoServer(t, await signedCertificate(['elsewhere.test']));
  const { port } = await startTestProxy(t, { backend: backend.address, backendTls: { insecure: true } });
  assert.equal((await roundTrip(port, Buffer.from('anyway'))).toString(), 'anyway');
});

test('a plaintext backend behind backendTls is unavailable at once, not a wait for the timeout', async (t) => {
  const echo = await startEchoServer(t);
  const log = recordingLogger('warning');
  const { port } = await startTestProxy(t, { backend: echo.address, protocol: 'http', backendTls: true, timeout: 10, log });
  const started = performance.now();
  assert.match(await rawCall(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 502 /);
  assert.ok(performance.now() - started < 2000);
  assert.match(log.lines.join('\n'), /unavailable: TLS handshake failed: /);
});

test('undici through http over TLS on both sides: each request is its own exchange, a 50x under error, the body under dummy', async (t) => {
  const certificate = await signedCertificate();
  const ca = (await testAuthority()).cert;
  const backend = await startTlsServer(t, certificate, (socket) => {
    socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
  });
  const { proxy, port } = await startTestProxy(t, { backend: `localhost:${backend.port}`, protocol: 'http', tls: certificate, backendTls: { ca } });
  const dispatcher = new Agent({ connect: { ca } });
  t.after(() => dispatcher.close());
  const get = async (): Promise<[number, string]> => {
    const response = await request(`https://localhost:${port}/`, { dispatcher });
    return [response.statusCode, await response.body.text()];
  };
  assert.deepEqual(await get(), [200, 'hello']);
  proxy.setBehavior('error');
  const [status] = await get();
  assert.ok([501, 502, 503].includes(status), `status ${status}`);
  proxy.setBehavior('dummy');
  assert.deepEqual(await get(), [200, 'hello']);
});

test('with reuse_socket, https clients in a row share one TLS backend connection (one handshake)', async (t) => {
  const certificate = await signedCertificate();
  const ca = (await testAuthority()).cert;
  const server = createHttpsServer(certificate, (incoming, response) => {
    incoming.resume();
    response.end('hello');
  });
  let handshakes = 0;
  server.on('secureConnection', () => handshakes++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = await startTestProxy(t, {
    backend: `localhost:${(server.address() as AddressInfo).port}`,
    protocol: 'http',
    protocolOptions: { reuse_socket: true },
    tls: certificate,
    backendTls: { ca },
  });
  for (let i = 0; i < 4; i++) {
    const dispatcher = new Agent({ connect: { ca } }); // a new client connection each time
    const response = await request(`https://localhost:${port}/`, { dispatcher });
    assert.equal(await response.body.text(), 'hello');
    await dispatcher.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(handshakes, 1);
});
