// Connection churn: `concurrency` loops, each opening a connection, sending one request,
// reading its answer and closing, again and again for `seconds`. Counts completed connections;
// one that fails, or gets no answer within STALL_MS, is an error.
import { connect } from 'node:net';
import type { Wire } from '../harness/wire.js';

export interface ChurnResult {
  readonly connections: number;
  readonly seconds: number;
  readonly errors: number;
  /** meter() at the end minus at the start (0 without a meter). */
  readonly metered: number;
}

const STALL_MS = 10_000;

export async function churn(port: number, concurrency: number, seconds: number, wire: Wire, meter?: () => number): Promise<ChurnResult> {
  let connections = 0;
  let errors = 0;
  const meteredAtStart = meter?.() ?? 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      const counter = wire.createCounter();
      let done = false;
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(stall);
        if (ok) connections++;
        else errors++;
        socket.destroy();
        resolve();
      };
      const stall = setTimeout(() => finish(false), STALL_MS);
      socket.on('data', (data: Buffer) => {
        if (counter(data) > 0) finish(true);
      });
      socket.on('error', () => finish(false));
      socket.on('close', () => finish(false));
      socket.write(wire.request);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { connections, seconds: elapsed, errors, metered: (meter?.() ?? 0) - meteredAtStart };
}
