// Bulk throughput to an echo backend: `streams` connections each write 64 KiB chunks as fast as
// the connection takes them and read the echo back, for `seconds`. Reports the MB echoed back
// within the window (each byte crosses the proxy once each way). Time-bound rather than
// size-bound, so a slow proxy costs the run no more time than a fast one.
import { connect, type Socket } from 'node:net';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const STALL_MS = 10_000;

export interface BulkResult {
  readonly megabytes: number;
  readonly seconds: number;
  /** meter() at the end minus at the start (0 without a meter). */
  readonly metered: number;
}

export async function bulk(port: number, streams: number, seconds: number, meter?: () => number): Promise<BulkResult> {
  const sockets = await Promise.all(Array.from({ length: streams }, () => connected(port)));
  let received = 0;
  let running = true;
  const meteredAtStart = meter?.() ?? 0;
  const started = performance.now();
  const failures = sockets.map(
    (socket) =>
      new Promise<void>((_, reject) => {
        const pump = (): void => {
          while (running) if (!socket.write(CHUNK)) return void socket.once('drain', pump);
        };
        socket.on('data', (data: Buffer) => {
          if (running) received += data.length;
        });
        socket.setTimeout(STALL_MS, () => socket.destroy(new Error(`bulk stream stalled for ${STALL_MS} ms`)));
        socket.on('error', reject);
        socket.on('close', () => {
          if (running) reject(new Error('bulk stream closed by the other side'));
        });
        pump();
      }),
  );
  for (const failure of failures) failure.catch(() => {}); // a failure after the window is not one
  await Promise.race([new Promise((resolve) => setTimeout(resolve, seconds * 1000)), ...failures]);
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const metered = (meter?.() ?? 0) - meteredAtStart;
  for (const socket of sockets) socket.destroy();
  return { megabytes: received / 1024 / 1024, seconds: elapsed, metered };
}

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
