// Nothing is left behind: 10 000 short connections (with every fault in the mix) leave the
// proxy process with the file descriptors it started with, and an in-process proxy with the
// same active handles and timers; a long connection's ledger tracks no finished exchange;
// ~10 000 connections open at once are all served.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { Connection } from '../../lib/proxy/connection.js';
import type { VaurienProxy } from '../../lib/proxy/proxy.js';
import { startChildEcho } from '../helpers/child-echo.js';
import { bannerPort, VAURIEN_BIN } from '../helpers/cli.js';
import { MiB, openFds, rssBytes, settle, steady } from '../helpers/process-stats.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { startEchoServer } from '../helpers/sockets.js';

const redisServer = redisServerForFile();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every behavior at once: what each one opens (timers, sockets, subscriptions) must be released. */
const FAULT_MIX = '10:delay,10:error,10:abort,10:blackout,5:hang,5:transient';

/** The open-files limit of `pid` (soft), from /proc/<pid>/limits. */
function fdLimit(pid: number | 'self'): number {
  const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return Number(match?.[1] ?? 1024);
}

/**
 * Starts `vaurien` with its open-files limit raised as far as this machine lets it (65 536, or
 * the hard limit when the sandbox forbids more), and resolves once it listens.
 */
async function startBigVaurien(t: TestContext, args: string[]): Promise<{ pid: number; port: number }> {
  const raise = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';
  const child = spawn('bash', ['-c', raise, process.execPath, VAURIEN_BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString();
      const line = out.split('\n').find((candidate) => candidate.includes(': proxying '));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`vaurien exited with ${code}`)));
  });
  assert.ok(child.pid !== undefined);
  return { pid: child.pid, port: bannerPort(banner) };
}

/** One short client: says something, takes whatever comes for a moment, and leaves. */
function shortVisit(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    // A hung or delayed exchange answers late or never: leave anyway.
    const timer = setTimeout(done, 100);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => socket.end());
    socket.on('connect', () => socket.write('ping'));
  });
}

async function visits(port: number, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await shortVisit(port);
      }
    }),
  );
}

test('10 000 short connections with every fault in the mix leave the proxy process with the file descriptors it had', { timeout: 120_000 }, async (t) => {
  const echo = await startEchoServer(t);
  const { pid, port } = await startBigVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', FAULT_MIX, '--behavior-delay-sleep', '0.01', '--timeout', '1', '--log-level', 'error']);
  await visits(port, 20, 4); // warm-up: whatever is opened once and kept is not a leak
  // The warm-up's sockets close within --timeout (1 s) at most: wait until the count holds still.
  const fdsBefore = await steady(() => openFds(pid), 1500);
  const rssBefore = rssBytes(pid);
  const started = performance.now();
  await visits(port, 10_000, 200);
  const took = performance.now() - started;
  // Under load the proxy may still be accepting (and closing) connections its clients already
  // gave up on, from its listen backlog: wait for the count to come back, for as long as that takes.
  const settleStarted = performance.now();
  const fdsAfter = await settle(() => openFds(pid), (fds) => fds <= fdsBefore, 30_000, 100);
  const settledMs = performance.now() - settleStarted;
  const rssGrowth = rssBytes(pid) - rssBefore;
  t.diagnostic(`10 000 connections in ${(took / 1000).toFixed(1)} s; fds ${fdsBefore} → ${fdsAfter} (${Math.round(settledMs)} ms after the last client); RSS +${(rssGrowth / MiB).toFixed(1)} MB`);
  assert.equal(fdsAfter, fdsBefore, 'file descriptors were left open');
  assert.ok(rssGrowth < 100 * MiB, `RSS grew by ${(rssGrowth / MiB).toFixed(1)} MB`);
});

/** What keeps an in-process proxy's event loop busy, by kind (TCPSocketWrap, Timeout…). */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The live connections of an in-process proxy (private: read only to prove nothing leaks). */
const connectionsOf = (proxy: VaurienProxy): ReadonlySet<Connection> => (proxy as unknown as { connections: Set<Connection> }).connections;

test('2 000 short connections with every fault leave an in-process proxy with no socket, timer or connection behind', { timeout: 60_000 }, async (t) => {
  const echo = await startEchoServer(t);
  const { port, proxy } = await startTestProxy(t, { backend: echo.address, behavior: FAULT_MIX, behaviorOptions: { delay: { sleep: 0.01 } }, timeout: 1 });
  await visits(port, 20, 4);
  await sleep(200);
  const before = activeResources();
  await visits(port, 2000, 32);
  await settle(() => connectionsOf(proxy).size, (size) => size === 0, 30_000);
  // The echo server's sockets and the test's own timers close on their own schedule: give them a moment.
  const after = await settle(activeResources, (now) => JSON.stringify(now) === JSON.stringify(before), 30_000);
  assert.equal(connectionsOf(proxy).size, 0, 'connections were left open');
  assert.equal(proxy.stats().connections.open, 0);
  assert.deepEqual(after, before, 'active handles or timers were left behind');
});

test('a long redis connection through 5 000 exchanges of mixed faults keeps no finished exchange, subscription or timer', { timeout: 60_000 }, async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const { port, proxy } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', behavior: '20:delay,20:error', behaviorOptions: { delay: { sleep: 0.001 } } });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  t.after(() => client.disconnect());
  await client.connect();
  const [connection] = connectionsOf(proxy);
  assert.ok(connection !== undefined);
  let most = 0;
  for (let round = 0; round < 10; round++) {
    const pipeline = client.pipeline();
    for (let n = 0; n < 500; n++) pipeline.set(`k${n}`, String(n));
    const results = await pipeline.exec();
    assert.equal(results?.length, 500);
    most = Math.max(most, connection.pipelines.ledger.trackedExchanges);
  }
  await sleep(50);
  const { ledger, request, response } = connection.pipelines;
  t.diagnostic(`at most ${most} exchanges tracked at a pipeline's end; now ${ledger.trackedExchanges}`);
  assert.equal(ledger.trackedExchanges, 0, 'finished exchanges are still tracked');
  assert.ok(!request.busy && !response.busy, 'a finished side is still subscribed');
});

test('about 10 000 connections open at once are all served, then released', { timeout: 120_000 }, async (t) => {
  const echo = await startChildEcho(t);
  const { pid, port } = await startBigVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--log-level', 'error', '--stay-connected']);
  // Each connection costs the proxy two descriptors; a sandbox may cap the limit below 20 000.
  const count = Math.min(10_000, Math.floor((fdLimit(pid) - 100) / 2), fdLimit('self') - 500);
  const fdsBefore = openFds(pid);
  t.diagnostic(`opening ${count} connections (the proxy may open ${fdLimit(pid)} files)`);

  const sockets: Socket[] = [];
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  /** Writes `tag` on `socket` and resolves with what comes back once it is all there. */
  const echoOf = (socket: Socket, tag: string): Promise<string> =>
    new Promise((resolve, reject) => {
      let got = '';
      const onData = (data: Buffer): void => {
        got += data.toString();
        if (got.length >= tag.length) {
          socket.off('data', onData);
          resolve(got);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(tag);
    });
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, n) => {
      const socket = connect({ port, host: '127.0.0.1' });
      sockets.push(socket);
      return new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }).then(() => echoOf(socket, `hello ${start + n};`));
    });
    for (const [n, answer] of (await Promise.all(batch)).entries()) assert.equal(answer, `hello ${start + n};`);
  }
  const fdsOpen = openFds(pid);
  t.diagnostic(`proxy fds: ${fdsBefore} idle, ${fdsOpen} with ${count} connections open`);
  assert.ok(fdsOpen >= fdsBefore + 2 * count, 'the connections are not all open at once');
  // All open at once, each still served.
  const again = await Promise.all(sockets.map((socket, n) => echoOf(socket, `again ${n};`)));
  for (const [n, answer] of again.entries()) assert.equal(answer, `again ${n};`);
  for (const socket of sockets) socket.destroy();
  const fdsAfter = await settle(() => openFds(pid), (fds) => fds <= fdsBefore, 30_000);
  assert.equal(fdsAfter, fdsBefore, 'file descriptors were left open');
});
