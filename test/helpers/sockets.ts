// Small real-socket tools for tests: an echo backend, a raw client that collects what it
// gets, and waiting for a socket to close.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly address: string;
  /** Sockets accepted so far. */
  readonly accepted: Socket[];
}

/** A port nothing listens on (it was free a moment ago): for a server a test starts itself, or a refused connect. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A TCP server on a free port, closed (with its sockets) when the test ends. */
export async function startTcpServer(t: TestContext, onSocket: (socket: Socket) => void): Promise<TestServer> {
  const accepted: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, port, address: `127.0.0.1:${port}`, accepted };
}

/** Echoes every byte back, and half-closes when the client does. */
/**
 * A socket connected to a server that keeps what it receives: `received` ends the socket and
 * gives every byte the server got, once the server saw the end.
 */
export async function collectingSocket(t: TestContext): Promise<{ socket: Socket; received: () => Promise<Buffer> }> {
  const chunks: Buffer[] = [];
  let ended: Promise<unknown> = Promise.resolve();
  const server = await startTcpServer(t, (peer) => {
    ended = new Promise((resolve) => peer.on('end', resolve));
    peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  });
  const socket = connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  t.after(() => socket.destroy());
  while (server.accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  return {
    socket,
    received: async () => {
      socket.end();
      await ended;
      return Buffer.concat(chunks);
    },
  };
}

export function startEchoServer(t: TestContext): Promise<TestServer> {
  return startTcpServer(t, (socket) => socket.pipe(socket));
}

export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once at least `length` bytes have arrived (rejects on close before that). */
  waitFor(length: number): Promise<Buffer>;
  /** Resolves when the peer has closed (FIN or reset), with how it ended. */
  readonly ended: Promise<'end' | 'error'>;
}

export async function rawClient(t: TestContext, port: number): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  t.after(() => socket.destroy());
  const parts: Buffer[] = [];
  let total = 0;
  const waiters: Array<() => void> = [];
  socket.on('data', (data: Buffer) => {
    parts.push(data);
    total += data.length;
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<'end' | 'error'>((resolve) => {
    socket.once('error', () => resolve('error'));
    socket.once('end', () => resolve('end'));
    socket.once('close', () => resolve('end'));
  });
  const received = (): Buffer => Buffer.concat(parts);
  return {
    socket,
    received,
    ended,
    async waitFor(length) {
      while (total < length) {
        const closed = await Promise.race([new Promise<false>((resolve) => waiters.push(() => resolve(false))), ended.then(() => true)]);
        if (closed && total < length) throw new Error(`connection closed after ${total} of ${length} bytes`);
      }
      return received();
    },
  };
}

/** Sends `payload`, half-closes, and resolves with everything the peer sent until it closed. */
export function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.end(payload));
    const parts: Buffer[] = [];
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
}

/**
 * Sends `bytes` without closing our side, and resolves with everything the peer answered until
 * it closed (or 5 s passed): how a raw HTTP client sees a server that must close on its own.
 */
export function rawCall(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    socket.setTimeout(5000, () => socket.destroy());
  });
}
