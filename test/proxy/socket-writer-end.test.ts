// Ending a socket whose peer already sent its FIN (the client closed first, then the backend
// answered and ended): the writer closes it outright when every byte reached the kernel, and
// half-closes it as before while bytes are still queued in Node, or over TLS.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import test, { type TestContext } from 'node:test';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SocketWriter } from '../../lib/index.js';
import { localhostCertificate } from '../helpers/certificates.js';
import { startTcpServer } from '../helpers/sockets.js';
import { collect } from '../helpers/tls-sockets.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** `ours` (the proxy's side, half-open allowed) after `peer` sent its FIN and `ours` read it. */
async function afterPeerEnded(t: TestContext): Promise<{ ours: Socket; peer: Socket }> {
  const server = await startTcpServer(t, () => {});
  const peer = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
  t.after(() => peer.destroy());
  await new Promise((resolve) => peer.once('connect', resolve));
  while (server.accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const ours = server.accepted[0] as Socket;
  peer.pause();
  peer.end();
  ours.resume();
  await new Promise((resolve) => ours.once('end', resolve));
  return { ours, peer };
}

/** Everything `peer` reads until its end (rejects on a reset); `peer` was paused. */
function readAll(peer: Socket): Promise<Buffer> {
  const all = collect(peer);
  peer.resume();
  return all;
}

test('ending toward a peer that already ended: nothing queued, the socket closes at once and the peer reads a clean end', async (t) => {
  const { ours, peer } = await afterPeerEnded(t);
  const writer = new SocketWriter(ours);
  writer.write(Buffer.from('last answer'));
  writer.end();
  assert.equal(ours.destroyed, true, 'closed without a half-close first');
  assert.equal((await readAll(peer)).toString(), 'last answer');
});

test('ending toward a peer that already ended: bytes still queued in Node all arrive, then the end', async (t) => {
  const { ours, peer } = await afterPeerEnded(t);
  const writer = new SocketWriter(ours);
  // More than loopback's buffers hold while the peer does not read: part stays queued in Node.
  const payload = randomBytes(32 * 1024 * 1024);
  writer.write(payload);
  writer.flush();
  assert.ok(ours.writableLength > 0, 'the test needs bytes still queued in Node');
  writer.end();
  const back = await readAll(peer);
  assert.equal(back.length, payload.length);
  assert.equal(sha(back), sha(payload));
});

/** How many TLS records `bytes` holds. */
function records(bytes: Buffer): number {
  let count = 0;
  for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt16BE(at + 3)) count++;
  return count;
}

test('ending a TLS socket toward a peer that already ended still sends close_notify', async (t) => {
  const certificate = await localhostCertificate();
  // Half-open, as the proxy's sockets are.
  let ours: TLSSocket | undefined;
  const server = createTlsServer({ key: certificate.key, cert: certificate.cert, allowHalfOpen: true }, (socket) => (ours = socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    ours?.destroy();
    server.close();
  });
  // A relay keeps what the server sends. TLS 1.3 hides a record's type: close_notify is the one
  // record sent after the answer went out.
  const fromServer: Buffer[] = [];
  const relay = createServer({ allowHalfOpen: true }, (inbound) => {
    const outbound = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    outbound.on('data', (data: Buffer) => fromServer.push(data));
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  t.after(() => relay.close());
  const client = tlsConnect({ port: (relay.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca: certificate.cert });
  t.after(() => client.destroy());
  await new Promise((resolve) => client.once('secureConnect', resolve));
  while (ours === undefined) await new Promise((resolve) => setImmediate(resolve));
  const ended = new Promise((resolve) => ours?.once('end', resolve));
  ours.resume();
  client.end();
  await ended;
  const writer = new SocketWriter(ours);
  writer.write(Buffer.from('bye'));
  writer.flush();
  const answered = readAll(client);
  await once(client, 'data'); // the relay kept 'bye', and the session tickets before it
  const before = Buffer.concat(fromServer).length;
  assert.equal(ours.writableLength, 0);
  writer.end();
  assert.equal((await answered).toString(), 'bye');
  assert.equal(records(Buffer.concat(fromServer).subarray(before)), 1, 'close_notify');
});
