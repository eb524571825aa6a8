// Real TLS sockets for tests: a TLS server on a free port (not half-open; closed with its sockets
// when the test ends) and a TLS client resolved once its handshake is done, with its TCP socket
// kept so a test can reset the connection as a crashing peer would.
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { connect as tlsConnect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { Certificate } from './certificates.js';

export interface TlsTestServer {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:port`. */
  readonly address: string;
  /** Sockets whose handshake succeeded, in order. */
  readonly accepted: TLSSocket[];
}

export async function startTlsServer(t: TestContext, certificate: Certificate, onSocket: (socket: TLSSocket) => void): Promise<TlsTestServer> {
  const accepted: TLSSocket[] = [];
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, port, address: `127.0.0.1:${port}`, accepted };
}

/** Echoes every byte back over TLS, and half-closes when the client does. */
export function startTlsEchoServer(t: TestContext, certificate: Certificate): Promise<TlsTestServer> {
  return startTlsServer(t, certificate, (socket) => socket.pipe(socket));
}

export interface TlsClient {
  readonly socket: TLSSocket;
  /** The TCP socket under it. */
  readonly tcp: Socket;
}

/** A TLS client of 127.0.0.1:`port` that trusts `ca` and asks for `servername` (default localhost). */
export async function tlsClient(t: TestContext, port: number, ca: string, servername = 'localhost'): Promise<TlsClient> {
  const tcp = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const socket = tlsConnect({ socket: tcp, servername, ca });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return { socket, tcp };
}

/** Everything `socket` receives until it ends (rejects on error). */
export function collect(socket: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  socket.on('data', (data: Buffer) => parts.push(data));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(parts)));
    socket.once('error', reject);
  });
}

/** How `socket` ended: 'end' (FIN), 'close' without it, or the error code (ECONNRESET). What it receives is dropped. */
export function howItEnds(socket: Socket): Promise<string> {
  socket.resume(); // 'end' comes only once what was received is read
  return new Promise((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('close', () => resolve('close'));
  });
}
