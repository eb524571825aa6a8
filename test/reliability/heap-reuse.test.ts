// Bulk traffic does not make the proxy return its heap to the kernel and take it back again:
// once warmed up, the `vaurien` process takes almost no page faults per MB it carries. Socket
// read buffers are heap blocks freed in batches by the garbage collector, and glibc trimmed
// the heap behind each batch (see lib/cli/malloc-thresholds.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { startChildEcho } from '../helpers/child-echo.js';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { heapEnd, MiB, minorFaults } from '../helpers/process-stats.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const moduleUrl = (path: string): string => new URL(path, import.meta.url).href;

/**
 * Raises the thresholds as vaurien's start-up does, then allocates one block of the MiB given
 * and prints how far the heap's end moved: the whole block when glibc put it on the heap, 0 when
 * it mapped it on its own (the block is above glibc's mmap threshold). Prints `blocked` instead
 * when a mapping sits right above the heap, which then cannot grow.
 */
const PROBE = `
const { raiseMallocThresholds } = await import(${JSON.stringify(moduleUrl('../../lib/cli/malloc-thresholds.ts'))});
const { heapEnd, heapRoom } = await import(${JSON.stringify(moduleUrl('../helpers/process-stats.ts'))});
const mebibytes = Number(process.argv[1]);
raiseMallocThresholds();
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 20));
if (heapRoom('self') < 2 * mebibytes * 1024 * 1024) {
  process.stdout.write('blocked\\n');
} else {
  const before = heapEnd('self');
  const block = Buffer.allocUnsafeSlow(mebibytes * 1024 * 1024);
  process.stdout.write(String((heapEnd('self') - before) / 1024 / 1024) + ' ' + block.length + '\\n');
}
`;
/** Processes tried at most: in one of about 30 a mapping sits right above the heap. */
const PROBES = 3;

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

// V8 scavenges once 32 MiB of young ArrayBuffers are allocated, and the socket buffers it frees
// then can all be at the heap's top: glibc trims when that free top reaches twice its mmap
// threshold. At 16 MiB (trim at 32) the test above failed once in CI: one 32 MiB trim, re-faulted.
test('vaurien raises glibc\'s mmap threshold to 32 MiB at start-up: a freed 32 MiB batch of socket buffers is kept', async () => {
  let answer = 'blocked';
  for (let probe = 1; probe <= PROBES && answer === 'blocked'; probe++) {
    ({ stdout: answer } = await promisify(execFile)(process.execPath, [...VAURIEN_NODE_FLAGS, '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', PROBE, '31']));
    answer = answer.trim();
  }
  assert.notEqual(answer, 'blocked', `in each of ${PROBES} processes a mapping sat right above the heap: the threshold cannot be told`);
  // On the heap, a block moves its end by 31 MiB less the free space that was at its top.
  const moved = Number.parseFloat(answer);
  assert.ok(moved >= 16, `a 31 MiB block moved the heap's end by ${moved} MiB: glibc mapped it on its own, so its trim threshold is below 62 MiB`);
});
