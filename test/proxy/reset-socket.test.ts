import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { resetSocket } from '../../lib/proxy/reset-socket.js';
import { registerTransport } from '../../lib/proxy/tls-transport.js';
import { signedCertificate, testAuthority } from '../helpers/certificates.js';
import { startTcpServer } from '../helpers/sockets.js';

/** A connected pair: `local` (ours) and the server's end of it, `peer`. */
async function connectedPair(t: TestContext): Promise<{ local: Socket; peer: Socket }> {
  let accepted!: (socket: Socket) => void;
  const peerReady = new Promise<Socket>((resolve) => (accepted = resolve));
  const server = await startTcpServer(t, (socket) => accepted(socket));
  const local = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
  local.on('error', () => {});
  t.after(() => local.destroy());
  await once(local, 'connect');
  return { local, peer: await peerReady };
}

/** Resolves true if `socket` emits 'close' within `ms`. */
function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('a socket reset right after end() (its FIN still being sent) closes: Node alone leaves it open for good', async (t) => {
  const { local, peer } = await connectedPair(t);
  const peerSaw = new Promise<string>((resolve) => {
    peer.once('end', () => resolve('end'));
    peer.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  const closed = closesWithin(local, 2000);
  // What the proxy does when a client sends FIN (the backend is ended) and then RST (the
  // backend is reset) in one turn of the event loop.
  local.end();
  resetSocket(local);
  assert.equal(await closed, true, "the socket never emitted 'close'");
  assert.ok(['end', 'ECONNRESET'].includes(await peerSaw), 'the peer saw the connection end');
});

test('a socket without a pending FIN is reset: the peer sees ECONNRESET', async (t) => {
  const { local, peer } = await connectedPair(t);
  const peerError = new Promise<string | undefined>((resolve) => {
    peer.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    peer.once('end', () => resolve('end'));
  });
  const closed = closesWithin(local, 2000);
  resetSocket(local);
  assert.equal(await closed, true);
  assert.equal(await peerError, 'ECONNRESET');
});

/** A TLS connection whose TCP socket is registered as its transport, as vaurien's TLS sockets are; and the server's end. */
async function tlsPair(t: TestContext, registered: boolean): Promise<{ local: TLSSocket; peer: TLSSocket }> {
  const { key, cert } = await signedCertificate();
  let accepted!: (socket: TLSSocket) => void;
  const peerReady = new Promise<TLSSocket>((resolve) => (accepted = resolve));
  const server = createTlsServer({ key, cert }, (socket) => accepted(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const raw = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
  const local = tlsConnect({ socket: raw, servername: 'localhost', ca: (await testAuthority()).cert });
  if (registered) registerTransport(local, raw);
  local.on('error', () => {});
  t.after(() => local.destroy());
  await once(local, 'secureConnect');
  const peer = await peerReady;
  // One exchange first, as on a live connection (TLS 1.3 session tickets are read by then).
  peer.write('hello');
  await once(local, 'data');
  return { local, peer };
}

test('a TLS socket is reset through its TCP socket: the peer sees ECONNRESET (Node alone throws on resetAndDestroy)', async (t) => {
  const { local, peer } = await tlsPair(t, true);
  const peerSaw = new Promise<string | undefined>((resolve) => {
    peer.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    peer.once('end', () => resolve('end'));
  });
  const closed = closesWithin(local, 2000);
  resetSocket(local);
  assert.equal(await closed, true, "the TLS socket never emitted 'close'");
  assert.equal(await peerSaw, 'ECONNRESET');
});

test('a TLS socket whose TCP socket is unknown is closed plainly, without throwing', async (t) => {
  const { local, peer } = await tlsPair(t, false);
  const peerClosed = closesWithin(peer, 2000);
  const closed = closesWithin(local, 2000);
  resetSocket(local);
  assert.equal(await closed, true);
  assert.equal(await peerClosed, true);
});

test('a TLS socket reset while its close_notify and FIN are being sent still closes', async (t) => {
  const { local, peer } = await tlsPair(t, true);
  peer.on('error', () => {});
  const closed = closesWithin(local, 2000);
  local.end();
  resetSocket(local);
  assert.equal(await closed, true, "the TLS socket never emitted 'close'");
});
