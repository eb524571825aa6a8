// `GET /events` (SPEC 13): the fault log as Server-Sent Events, live, under the API's token and
// Origin/Host rules; `vaurienctl events` prints them; many subscribers, and one that never reads,
// cost the proxy bounded memory: a subscriber that falls too far behind is disconnected.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { Client } from '../../lib/control/client.js';
import type { FaultRecord } from '../../lib/faults/fault-record.js';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { subscribeFaultRecords as subscribe } from '../helpers/fault-events.js';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { MiB, rssBytes, steady } from '../helpers/process-stats.js';
import { startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

/** Sends `payload` through the proxy and waits for the echo, or the cut. */
function exchange(port: number, payload: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    socket.on('data', () => socket.destroy());
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}


async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('GET /events streams each fault record to every subscriber as its exchange ends', async (t) => {
  const echo = await startEchoServer(t);
  const { base, port, proxy } = await startApi(t, { backend: echo.address, seed: 9 });
  const one = await subscribe(t, `${base}/events`);
  const two = await subscribe(t, `${base}/events`);
  const fromClient: FaultRecord[] = [];
  const stop = new AbortController();
  t.after(() => stop.abort());
  const listening = (async () => {
    for await (const record of new Client({ host: '127.0.0.1', port: Number(new URL(base).port) }).events({ signal: stop.signal })) fromClient.push(record);
  })();
  // Every subscriber is in once a record reaches all three: until then, keep faulting.
  proxy.setBehavior('100:abort');
  while (one.records.length === 0 || two.records.length === 0 || fromClient.length === 0) {
    await exchange(port, 'hello?');
    await sleep(20);
  }
  await sleep(50);
  for (const records of [one.records, two.records, fromClient]) records.length = 0;
  proxy.setBehavior('50:abort');
  let aborted = 0;
  for (let i = 0; i < 20; i++) {
    const before = proxy.stats().faults['abort'] ?? 0;
    await exchange(port, `message ${i}`);
    if ((proxy.stats().faults['abort'] ?? 0) > before) {
      aborted++;
      // Live: the record is there before the next exchange starts.
      await waitFor(() => one.records.length === aborted && two.records.length === aborted && fromClient.length === aborted, `record ${aborted}`);
    }
  }
  assert.ok(aborted > 3, `only ${aborted} aborted`);
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(fromClient, one.records);
  for (const record of one.records) assert.deepEqual([record.behavior, record.outcome, record.exchange], ['abort', 'aborted', 1]);
  stop.abort();
  await listening;
});

test('GET /events follows the API rules: the token, and no foreign Origin or Host', async (t) => {
  const echo = await startEchoServer(t);
  const { base } = await startApi(t, { backend: echo.address }, { token: 's3cret' });
  assert.equal((await subscribe(t, `${base}/events`)).status, 401);
  assert.equal((await subscribe(t, `${base}/events`, { authorization: 'Bearer s3cret', origin: 'http://evil.example' })).status, 403);
  assert.equal((await subscribe(t, `${base}/events`, { authorization: 'Bearer s3cret', host: 'evil.example' })).status, 403);
  assert.equal((await subscribe(t, `${base}/events`, { authorization: 'Bearer s3cret' })).status, 200);
});

test('vaurienctl events prints each record as one JSON line as it comes', async (t) => {
  const echo = await startEchoServer(t);
  const { base, port } = await startApi(t, { backend: echo.address, behavior: '100:abort' });
  const ctl = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url)), '--port', new URL(base).port, '--host', '127.0.0.1', 'events'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => ctl.kill('SIGKILL'));
  let out = '';
  ctl.stdout.on('data', (data: Buffer) => (out += data.toString()));
  // It is subscribed once an exchange's record reaches it; until then, keep sending.
  for (let i = 0; !out.includes('\n'); i++) {
    if (i > 200) throw new Error('vaurienctl events printed nothing');
    await exchange(port, 'x');
    await sleep(25);
  }
  await exchange(port, 'last one');
  await waitFor(() => out.includes('"request":"8 bytes"'), 'the last record');
  const lines = out.trim().split('\n');
  for (const line of lines) assert.deepEqual((JSON.parse(line) as FaultRecord).outcome, 'aborted');
});

test('fifty subscribers and one that never reads cost bounded memory; the stuck one is disconnected', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-port', '0', '--fault-log-all']);
  const port = bannerPort(vaurien.banner);
  const apiPort = bannerApiPort(vaurien.banner);
  const pid = vaurien.child.pid as number;
  const base = `http://127.0.0.1:${apiPort}`;
  const readers = await Promise.all(Array.from({ length: 50 }, () => countingSubscriber(t, `${base}/events`)));
  // A first round warms the proxy up with its records streamed: V8 sizes its heap to the
  // allocation rate once, which is not what is measured.
  await traffic(port, pid, 0.5);
  const settled = await steady(() => rssBytes(pid), 300, 3000);
  // The stuck one: asks, then never reads a byte.
  const stuck: Socket = connect({ port: apiPort, host: '127.0.0.1' });
  t.after(() => stuck.destroy());
  await new Promise((resolve) => stuck.once('connect', resolve));
  stuck.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${apiPort}\r\n\r\n`);
  stuck.pause();
  await sleep(200);
  const peak = await traffic(port, pid, 1);
  const total = TRAFFIC_CONNECTIONS * TRAFFIC_ROUNDS * 1.5;
  await waitFor(() => readers.every((reader) => reader.events >= total), 'every reader to get every record', 20_000);
  assert.ok(readers.every((reader) => reader.events === total));
  const kept = (await steady(() => rssBytes(pid), 300, 3000)) - settled;
  // Each subscriber may have 256 KiB queued before it is cut (51 of them), and some slack; kept
  // for the stuck subscriber, the second round's events alone would be ~15 MiB.
  const bound = 51 * 0.25 * MiB + 4 * MiB;
  t.diagnostic(`RSS: ${(settled / MiB).toFixed(1)} MiB settled after a warm-up round; a second round with the stuck subscriber peaked ${(peak / MiB).toFixed(1)} MiB higher and kept ${(kept / MiB).toFixed(1)} MiB (bound ${(bound / MiB).toFixed(1)})`);
  assert.ok(kept < bound, `the proxy kept ${(kept / MiB).toFixed(1)} MiB more`);

  // The stuck subscriber got what the socket buffers held, then the proxy cut it.
  let received = '';
  const ended = new Promise<void>((resolve) => stuck.on('close', () => resolve()));
  stuck.on('data', (data: Buffer) => (received += data.toString()));
  stuck.on('error', () => {});
  stuck.resume();
  await ended;
  const events = (received.match(/\ndata: /g) ?? []).length;
  assert.ok(events < TRAFFIC_CONNECTIONS * TRAFFIC_ROUNDS, 'the stuck subscriber was sent every event');
  t.diagnostic(`the stuck subscriber got ${events} events before it was cut`);
});

/** A subscriber that reads as fast as it can and counts events (parsing 50 streams would slow the test, not the proxy). */
async function countingSubscriber(t: TestContext, url: string): Promise<{ readonly events: number }> {
  const answer = await request(url, { headers: { accept: 'text/event-stream' } });
  assert.equal(answer.statusCode, 200);
  const counter = { events: 0 };
  answer.body.setEncoding('latin1');
  answer.body.on('data', (chunk: string) => {
    for (let at = chunk.indexOf('\ndata: '); at !== -1; at = chunk.indexOf('\ndata: ', at + 1)) counter.events++;
  });
  answer.body.on('error', () => {});
  t.after(() => answer.body.destroy());
  return counter;
}

const TRAFFIC_CONNECTIONS = 30;
const TRAFFIC_ROUNDS = 1000;

/** Connections ping-ponging small chunks (each an exchange with a record, with --fault-log-all); the peak RSS growth. */
async function traffic(port: number, pid: number, times: number): Promise<number> {
  const before = rssBytes(pid);
  let peak = before;
  const sockets = await Promise.all(
    Array.from({ length: TRAFFIC_CONNECTIONS }, async () => {
      const socket = connect({ port, host: '127.0.0.1' });
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    }),
  );
  await Promise.all(
    sockets.map(async (socket) => {
      for (let round = 0; round < TRAFFIC_ROUNDS * times; round++) {
        socket.write(`round ${round}`);
        await new Promise((resolve) => socket.once('data', resolve));
        if (round % 100 === 0) peak = Math.max(peak, rssBytes(pid));
      }
      socket.destroy();
    }),
  );
  await sleep(300);
  return Math.max(peak, rssBytes(pid)) - before;
}
