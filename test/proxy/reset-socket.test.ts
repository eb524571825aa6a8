import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { resetSocket } from '../../lib/proxy/reset-socket.js';
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
