// A real node:http backend on a free port, closed (with its sockets) when the test ends. It
// records every request it received, so a test can tell whether the proxy forwarded one.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  /** performance.now() when the backend got the head. */
  readonly at: number;
}

export interface TestHttpServer {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:port`, for the proxy's backend. */
  readonly address: string;
  /** Requests received, in arrival order. */
  readonly seen: SeenRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
}

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

export async function startHttpServer(t: TestContext, handler: HttpHandler): Promise<TestHttpServer> {
  const seen: SeenRequest[] = [];
  const server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    seen.push({ method: request.method ?? '', url: request.url ?? '', at: performance.now() });
    handler(request, response);
  });
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(async () => {
    // Upgraded and tunnelled sockets are no longer the server's: closeAllConnections misses them.
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    seen,
    get connections() {
      return connections;
    },
  };
}

/** Resolves once `check` holds, or rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
