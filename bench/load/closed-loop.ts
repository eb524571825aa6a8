// A closed-loop request generator on raw sockets: `connections` connections each send a batch
// of `pipeline` requests, wait for all their answers, and send the next, until `seconds` have
// passed. Connections are opened (and answer one request, after their login when the wire has
// an `opening`) before the clock starts. At depth 1 the latency of every request is kept. A
// connection that fails, closes early or stops answering (STALL_MS past the end) counts as an
// error instead of hanging the run.
import { connect, type Socket } from 'node:net';
import type { Wire } from '../harness/wire.js';

export interface ClosedLoopSettings {
  readonly port: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly seconds: number;
  readonly wire: Wire;
  /** Read at the start and the end of the timed window (e.g. a process's CPU time). */
  readonly meter?: () => number;
  /** Opens a connection to `port` (default: plain TCP to 127.0.0.1; TLS for the TLS rows). */
  readonly open?: (port: number) => Socket;
}

export interface ClosedLoopResult {
  readonly requests: number;
  readonly seconds: number;
  /** Round-trip of each request, µs (depth 1 only; empty with pipelining). */
  readonly latenciesUs: Float64Array;
  readonly errors: number;
  /** meter() at the end minus at the start (0 without a meter). */
  readonly metered: number;
}

/** How long past the end of the window a connection may still owe answers. */
const STALL_MS = 10_000;

export async function closedLoop({ port, connections, pipeline, seconds, wire, meter, open = openTcp }: ClosedLoopSettings): Promise<ClosedLoopResult> {
  const batch = Buffer.concat(Array.from({ length: pipeline }, () => wire.request));
  const sockets = await Promise.all(Array.from({ length: connections }, () => openWarm(port, wire, open)));
  let latencies = new Float64Array(1 << 16);
  let recorded = 0;
  let requests = 0;
  let errors = 0;
  const meteredAtStart = meter?.() ?? 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const counter = wire.createCounter();
          let outstanding = 0;
          let sentAt = 0;
          let done = false;
          const finish = (failed: boolean): void => {
            if (done) return;
            done = true;
            clearTimeout(stall);
            if (failed) errors++;
            resolve();
          };
          const stall = setTimeout(() => finish(true), seconds * 1000 + STALL_MS);
          const send = (): void => {
            outstanding = pipeline;
            sentAt = performance.now();
            socket.write(batch);
          };
          socket.on('data', (data: Buffer) => {
            const answered = counter(data);
            if (answered === 0) return;
            outstanding -= answered;
            requests += answered;
            if (outstanding > 0) return;
            const now = performance.now();
            if (pipeline === 1) {
              if (recorded === latencies.length) {
                const grown = new Float64Array(latencies.length * 2);
                grown.set(latencies);
                latencies = grown;
              }
              latencies[recorded++] = (now - sentAt) * 1000;
            }
            if (now < deadline) send();
            else finish(false);
          });
          socket.on('error', () => finish(true));
          socket.on('close', () => finish(true));
          send();
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const metered = (meter?.() ?? 0) - meteredAtStart;
  for (const socket of sockets) socket.destroy();
  return { requests, seconds: elapsed, latenciesUs: latencies.subarray(0, recorded), errors, metered };
}

function openTcp(port: number): Socket {
  return connect({ port, host: '127.0.0.1', noDelay: true });
}

/** A connection that has already answered one request: the backend side is connected too. */
function openWarm(port: number, wire: Wire, open: (port: number) => Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = open(port);
    const counter = wire.createCounter();
    const fail = (why: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`connection to port ${port} ${why} before its first answer`));
    };
    const onError = (error: Error): void => fail(`failed (${error.message})`);
    const onClose = (): void => fail('closed');
    const timer = setTimeout(() => fail(`gave no answer in ${STALL_MS} ms`), STALL_MS);
    // A login first (postgres), pipelined with the first request: two answers to wait for.
    let awaited = wire.opening === undefined ? 1 : 2;
    const onData = (data: Buffer): void => {
      awaited -= counter(data);
      if (awaited > 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(wire.opening === undefined ? wire.request : Buffer.concat([wire.opening, wire.request]));
  });
}
