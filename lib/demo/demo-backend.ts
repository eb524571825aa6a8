// The demo's built-in backend: a small HTTP service on a free port that answers every
// request with a short JSON body after a millisecond or two of "work".
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoBackend {
  readonly port: number;
  close(): Promise<void>;
}

export async function startDemoBackend(): Promise<DemoBackend> {
  let served = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const body = JSON.stringify({ ok: true, path: request.url, served: ++served });
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body), 1);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
