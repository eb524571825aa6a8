// Bulk traffic does not make the proxy return its heap to the kernel and take it back again:
// once warmed up, the `vaurien` process takes almost no page faults per MB it carries. Socket
// read buffers are heap blocks freed in batches by the garbage collector, and glibc trimmed
// the heap behind each batch (see lib/cli/malloc-thresholds.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { startChildEcho } from '../helpers/child-echo.js';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { MiB, minorFaults } from '../helpers/process-stats.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** `streams` connections each send `bytes` through the echo and read them all back; resolves with the MB echoed. */
async function echoThrough(port: number, streams: number, bytes: number): Promise<number> {
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      let sent = 0;
      let received = 0;
      const pump = (): void => {
        while (sent < bytes) {
          sent += CHUNK.length;
          if (!socket.write(CHUNK)) return void socket.once('drain', pump);
        }
      };
      socket.on('connect', pump);
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= bytes) {
          socket.destroy();
          resolve();
        }
      });
      socket.on('error', reject);
    });
  await Promise.all(Array.from({ length: streams }, one));
  return (streams * bytes) / MiB;
}

/** Where `pid`'s malloc heap ends now (the `[heap]` mapping of /proc/<pid>/maps), 0 when it has none. */
function heapEnd(pid: number): number {
  const line = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((entry) => entry.endsWith('[heap]'));
  return line === undefined ? 0 : Number.parseInt(line.slice(line.indexOf('-') + 1, line.indexOf(' ')), 16);
}

/** Counts the times `pid`'s heap shrank, sampled every millisecond until stopped. */
function watchHeapShrinks(pid: number): () => number {
  let shrinks = 0;
  let last = heapEnd(pid);
  const timer = setInterval(() => {
    const end = heapEnd(pid);
    if (end < last) shrinks++;
    last = end;
  }, 1);
  return () => {
    clearInterval(timer);
    return shrinks;
  };
}

test('vaurien keeps its freed heap under bulk traffic: it does not shrink, under 10 minor page faults per MB', async (t) => {
  const echo = await startChildEcho(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--log-level', 'error']);
  const port = bannerPort(vaurien.banner);
  const pid = vaurien.child.pid as number;
  // The first megabytes grow the heap to its working size: those faults are paid once.
  await echoThrough(port, 8, 16 * MiB);
  const before = minorFaults(pid);
  const stop = watchHeapShrinks(pid);
  const megabytes = await echoThrough(port, 8, 48 * MiB);
  const shrinks = stop();
  const perMegabyte = (minorFaults(pid) - before) / megabytes;
  const figures = `${perMegabyte.toFixed(1)} minor page faults per MB echoed through vaurien, its heap shrank ${shrinks} times`;
  t.diagnostic(figures);
  assert.ok(shrinks <= 1 && perMegabyte < 10, `${figures}: a heap trimmed and grown again`);
});
