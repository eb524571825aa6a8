// Opens `count` connections, each exchanging one request and its response, and keeps them
// open. Connects go out `concurrency` at a time so the listen backlog never overflows (an
// overflow costs a 1 s SYN retransmit and would be measured as slowness).
import { connect, type Socket } from 'node:net';
import type { Wire } from '../harness/wire.js';

export interface OpenConnections {
  readonly sockets: Socket[];
  /** Connections that got their answer. */
  readonly served: number;
  readonly failed: number;
  /** The first failure's message, for the report. */
  readonly firstError: string | undefined;
  readonly seconds: number;
}

export async function openMany(port: number, count: number, wire: Wire, concurrency = 256, timeoutMs = 20_000): Promise<OpenConnections> {
  const sockets: Socket[] = [];
  let served = 0;
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      const counter = wire.createCounter();
      let done = false;
      const finish = (error?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error === undefined) {
          served++;
          socket.removeAllListeners('data');
          sockets.push(socket);
        } else {
          failed++;
          firstError ??= error;
          socket.destroy();
        }
        resolve();
      };
      const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
      socket.on('data', (data: Buffer) => {
        if (counter(data) > 0) finish();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
      socket.on('close', () => finish('closed before answering'));
      socket.write(wire.request);
    });
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next++;
        await one();
      }
    }),
  );
  return { sockets, served, failed, firstError, seconds: (performance.now() - started) / 1000 };
}

/** Closes connections opened by openMany and waits until they are all closed. */
export async function closeAll(sockets: readonly Socket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.closed) return resolve();
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    ),
  );
}
