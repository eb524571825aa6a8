// `vaurien --workers N`: several processes serve one proxy port (node:cluster) behind one control
// API. What a user checks: every connection is served, the API's changes reach every worker
// before it answers, the counters add up, a worker that dies is replaced, and a signal stops all.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../../lib/control/client.js';
import { bannerPort, runVaurien, startVaurien, type RunningVaurien } from '../helpers/cli.js';
import { isAlive } from '../helpers/process-stats.js';
import { startEchoServer } from '../helpers/sockets.js';

/** What a client saw: its bytes echoed back, or the connection cut before. */
function echoOrCut(port: number, payload: string): Promise<'echoed' | 'cut'> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString();
      if (received === payload) {
        socket.destroy();
        resolve('echoed');
      }
    });
    socket.on('close', () => resolve('cut'));
    socket.on('error', () => resolve('cut'));
  });
}

/** `count` connections, a few at a time, each with its own payload; what each saw. */
async function connections(port: number, count: number): Promise<Array<'echoed' | 'cut'>> {
  const outcomes: Array<'echoed' | 'cut'> = [];
  for (let at = 0; at < count; at += 4) {
    const batch = Array.from({ length: Math.min(4, count - at) }, (_, index) => echoOrCut(port, `payload ${at + index}`));
    outcomes.push(...(await Promise.all(batch)));
  }
  return outcomes;
}

interface Cluster {
  readonly vaurien: RunningVaurien;
  readonly port: number;
  readonly client: Client;
}

async function startCluster(t: TestContext, workers: number, extra: readonly string[] = []): Promise<Cluster> {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--workers', String(workers), '--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-port', '0', ...extra]);
  const api = /control API on http:\/\/[^:]+:(\d+)/.exec(vaurien.banner);
  assert.ok(api !== null, `no control API in "${vaurien.banner}"`);
  return { vaurien, port: bannerPort(vaurien.banner), client: new Client({ host: '127.0.0.1', port: Number(api[1]) }) };
}

test('--workers 2: every connection is served, by both workers, and /stats adds their counters up', async (t) => {
  const { vaurien, port, client } = await startCluster(t, 2, ['--seed', '77']);
  assert.match(vaurien.banner, /protocol tcp, behavior dummy, seed 77, 2 workers\)/);
  const outcomes = await connections(port, 40);
  assert.deepEqual(outcomes, new Array(40).fill('echoed'));
  const stats = await client.stats();
  assert.equal(stats.connections.total, 40);
  assert.equal(stats.exchanges['dummy'], 40);
  const sent = Array.from({ length: 40 }, (_, index) => `payload ${index}`.length).reduce((sum, length) => sum + length, 0);
  assert.deepEqual(stats.bytes, { request: sent, response: sent });
  const perWorker = stats.workers ?? [];
  assert.equal(perWorker.length, 2);
  assert.equal(new Set(perWorker.map((worker) => worker.pid)).size, 2);
  for (const worker of perWorker) assert.ok(worker.connections.total > 0, `worker ${worker.pid} served none: ${JSON.stringify(perWorker)}`);
  assert.equal(perWorker.reduce((sum, worker) => sum + worker.connections.total, 0), 40);
  assert.match(await client.metrics(), /vaurien_connections_total\{protocol="tcp"\} 40/);
});

test('--workers 2: a behavior set through the API is in force on every worker once the API answers', async (t) => {
  const { port, client } = await startCluster(t, 2);
  await client.setBehavior('abort');
  assert.equal(await client.getBehavior(), 'abort');
  assert.deepEqual(await connections(port, 20), new Array(20).fill('cut'));
  await client.setBehavior('dummy');
  assert.deepEqual(await connections(port, 20), new Array(20).fill('echoed'));
  const stats = await client.stats();
  assert.equal(stats.exchanges['abort'], 20);
  for (const worker of stats.workers ?? []) assert.ok(worker.connections.total > 0);
  // A mistake is refused once, by the primary, and changes nothing anywhere.
  await assert.rejects(client.setBehavior('nope'), /unknown behavior "nope"/);
  assert.deepEqual(await connections(port, 8), new Array(8).fill('echoed'));
});

test('--workers 2: a worker that dies is replaced, and the new one has the behavior set through the API', async (t) => {
  const { vaurien, port, client } = await startCluster(t, 2);
  await client.setBehavior('abort');
  await connections(port, 8);
  const before = (await client.stats()).workers ?? [];
  const victim = before[0]?.pid;
  assert.ok(victim !== undefined);
  process.kill(victim, 'SIGKILL');
  let after = before;
  for (let tries = 0; tries < 100 && !(after.length === 2 && after.every((worker) => worker.pid !== victim)); tries++) {
    await sleep(100);
    after = (await client.stats()).workers ?? [];
  }
  assert.equal(after.length, 2, `workers after the kill: ${JSON.stringify(after)}`);
  assert.ok(after.every((worker) => worker.pid !== victim));
  assert.match(vaurien.stderr(), new RegExp(`\\[error\\] worker \\d \\(pid ${victim}\\) was killed by SIGKILL; starting another`));
  assert.deepEqual(await connections(port, 20), new Array(20).fill('cut'));
  const replacement = (await client.stats()).workers?.find((worker) => !before.some((old) => old.pid === worker.pid));
  assert.ok(replacement !== undefined && replacement.connections.total > 0, 'the new worker served none of the connections');
});

test('--workers 2: SIGTERM stops every worker and the primary exits 0', async (t) => {
  const { vaurien, port, client } = await startCluster(t, 2);
  await connections(port, 4);
  const pids = ((await client.stats()).workers ?? []).map((worker) => worker.pid);
  assert.equal(pids.length, 2);
  assert.equal(await vaurien.stop('SIGTERM'), 0);
  for (let tries = 0; tries < 50 && pids.some(isAlive); tries++) await sleep(100);
  assert.deepEqual(pids.filter(isAlive), []);
  assert.deepEqual(await connections(port, 1), ['cut']);
});

test('--workers: a proxy port in use is reported once (exit 2), and the primary checks options before forking', async (t) => {
  const echo = await startEchoServer(t);
  const taken = echo.address.split(':').at(-1) as string;
  const inUse = await runVaurien(['--workers', '3', '--proxy', `127.0.0.1:${taken}`, '--backend', echo.address]);
  assert.equal(inUse.code, 2);
  assert.equal(inUse.stderr, `vaurien: --proxy 127.0.0.1:${taken}: address already in use\n`);
  const badTimeout = await runVaurien(['--workers', '2', '--timeout', '0', '--backend', echo.address]);
  assert.equal(badTimeout.code, 2);
  assert.equal(badTimeout.stderr.trim().split('\n').length, 1);
  const noWorkers = await runVaurien(['--workers', '0']);
  assert.equal(noWorkers.code, 2);
  assert.equal(noWorkers.stderr, 'vaurien: --workers: must be at least 1, got 0\n');
});
