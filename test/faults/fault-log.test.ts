// The fault log (SPEC 13) through real clients and servers: each fault a client saw has one record
// naming its request and outcome, unharmed requests none; a seed replays the records; hung
// exchanges are recorded at their close; a plugin protocol's summary appears.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, ReplyError } from 'ioredis';
import { Client, errors as undiciErrors } from 'undici';
import { defineProtocol, type Framer } from '../../lib/contract/protocol.js';
import type { Direction, Message } from '../../lib/contract/message.js';
import type { FaultRecord } from '../../lib/faults/fault-record.js';
import { Protocol } from '../../lib/registry/protocols.js';
import { startHttpServer } from '../helpers/http-server.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { startTcpServer } from '../helpers/sockets.js';

const redisServer = redisServerForFile();
const INJECTED = 'ERR vaurien injected error';
const DELAY_SECONDS = 0.05;

async function redisClient(t: TestContext, port: number): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, protocol: 2 });
  redis.on('error', () => {});
  t.after(() => redis.disconnect());
  await redis.connect();
  return redis;
}

/** What the client saw of one command. */
interface Seen {
  readonly command: string;
  readonly error: boolean;
  readonly ms: number;
}

/** Sends `count` commands one after the other (SET, GET, INCR, PING in turn) and notes what each got. */
async function drive(redis: Redis, count: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let i = 0; i < count; i++) {
    const [command, run] = (
      [
        ['SET', () => redis.set(`key:${i}`, 'v')],
        ['GET', () => redis.get(`key:${i - 1}`)],
        ['INCR', () => redis.incr('counter')],
        ['PING', () => redis.ping()],
      ] as const
    )[i % 4] as readonly [string, () => Promise<unknown>];
    const started = performance.now();
    const error = await run().then(
      () => false,
      (failure: unknown) => {
        assert.ok(failure instanceof ReplyError && (failure as Error).message === INJECTED, `unexpected failure ${String(failure as Error)}`);
        return true;
      },
    );
    seen.push({ command, error, ms: performance.now() - started });
  }
  return seen;
}

test('each redis command that failed or waited has one record naming it, and the others none', async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const records: FaultRecord[] = [];
  const proxy = await startTestProxy(t, { backend: redis.address, protocol: 'redis', name: 'cache', faultLog: (record) => records.push(record) });
  const client = await redisClient(t, proxy.port);
  // What the client sent while connecting (its ready check) came first: command i is exchange before + i + 1.
  const before = proxy.proxy.stats().exchanges['dummy'] ?? 0;
  proxy.proxy.setBehavior('30:error,20:delay', { delay: { sleep: DELAY_SECONDS } });
  const seen = await drive(client, 80);

  const byExchange = new Map(records.map((record) => [record.exchange, record]));
  assert.equal(byExchange.size, records.length, 'one record per exchange');
  const clientAddress = `127.0.0.1:${client.stream.localPort}`;
  let delayed = 0;
  for (const [at, command] of seen.entries()) {
    const record = byExchange.get(before + at + 1);
    byExchange.delete(before + at + 1);
    if (command.error) {
      assert.ok(record !== undefined, `no record for ${command.command} #${at}, which got an error`);
      assert.deepEqual([record.behavior, record.request, record.outcome, record.options], ['error', command.command, 'error reply', { inject: false, warmup: 0 }]);
    } else if (record !== undefined) {
      // Not an error, yet recorded: a delay, which the client waited for.
      delayed++;
      assert.deepEqual([record.behavior, record.request, record.options], ['delay', command.command, { sleep: DELAY_SECONDS, before: true }]);
      const held = Number(/^delayed (\d+) ms$/.exec(record.outcome)?.[1]);
      assert.ok(held >= DELAY_SECONDS * 1000 - 1 && held <= command.ms + 1, `${record.outcome} for a command that took ${command.ms.toFixed(1)} ms`);
    }
    if (record === undefined) continue;
    assert.deepEqual([record.proxy, record.client, record.connection], ['cache', clientAddress, 1]);
    assert.ok(!Number.isNaN(Date.parse(record.time)));
  }
  assert.deepEqual([...byExchange.values()], [], 'no record for an exchange the client did not send');
  assert.ok(seen.some((command) => command.error) && delayed > 0, 'the mix gave both errors and delays');
  const exchanges = records.map((record) => record.exchange);
  assert.deepEqual([...exchanges].sort((a, b) => a - b), exchanges, 'records come in exchange order on one connection');
});

test('two runs of the same traffic with the same seed give the same records, but for times and ports', async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const run = async (): Promise<unknown[]> => {
    const records: FaultRecord[] = [];
    const proxy = await startTestProxy(t, { backend: redis.address, protocol: 'redis', name: 'replay', seed: 4242, faultLog: (record) => records.push(record) });
    const first = await redisClient(t, proxy.port);
    const second = await redisClient(t, proxy.port);
    proxy.proxy.setBehavior('20:error,10:delay,10:transient', { delay: { sleep: 0.01 }, transient: { agitate: 3 } });
    await drive(first, 30);
    await drive(second, 30);
    await drive(first, 10);
    // Times, ports and the measured hold are what may differ.
    return records.map(({ time, client, durationMs, outcome, ...rest }) => ({ ...rest, outcome: outcome.replace(/^delayed \d+ ms$/, 'delayed') }));
  };
  const one = await run();
  const two = await run();
  assert.ok(one.length > 10, `only ${one.length} records`);
  assert.deepEqual(two, one);
});

test('each HTTP request that a client saw fail, cut or wait has one record with its method and path', async (t) => {
  const backend = await startHttpServer(t, (request, response) => response.end(`hello ${request.url}`));
  const records: FaultRecord[] = [];
  const proxy = await startTestProxy(t, {
    backend: backend.address,
    protocol: 'http',
    behavior: '15:error,15:abort,15:blackout,15:delay',
    behaviorOptions: { delay: { sleep: DELAY_SECONDS } },
    faultLog: (record) => records.push(record),
  });
  /** What the client saw of each path: an error status, a cut, or the answer after how long. */
  const seen = new Map<string, { outcome: 'error reply' | 'aborted' | 'closed' } | { ms: number }>();
  for (let i = 0; i < 60; i++) {
    const path = `/item/${i}?page=${i % 3}`;
    const client = new Client(`http://127.0.0.1:${proxy.port}`);
    const started = performance.now();
    try {
      const answer = await client.request({ method: 'GET', path });
      const body = await answer.body.text();
      if (answer.statusCode >= 500) seen.set(path, { outcome: 'error reply' });
      else {
        assert.equal(body, `hello ${path}`);
        seen.set(path, { ms: performance.now() - started });
      }
    } catch (error) {
      assert.ok(error instanceof undiciErrors.SocketError || error instanceof undiciErrors.UndiciError, String(error));
      // abort forwards the request and cuts before the answer; blackout cuts before forwarding.
      seen.set(path, { outcome: backend.seen.some((request) => request.url === path) ? 'aborted' : 'closed' });
    } finally {
      await client.close().catch(() => {});
    }
  }
  const harmed = [...seen.values()].filter((what) => 'outcome' in what).length;
  await waitFor(() => records.length >= harmed);
  await sleep(100);
  const byPath = new Map(records.map((record) => [record.request.replace(/^GET /, ''), record]));
  assert.equal(byPath.size, records.length, 'one record per request');
  for (const [path, what] of seen) {
    const record = byPath.get(path);
    if ('outcome' in what) {
      assert.equal(record?.outcome, what.outcome, `${path}: ${JSON.stringify(record)}`);
      assert.equal(record.request, `GET ${path}`);
    } else if (record !== undefined) {
      // Answered, yet recorded: a delay, which the client waited for.
      const held = Number(/^delayed (\d+) ms$/.exec(record.outcome)?.[1]);
      assert.ok(held >= DELAY_SECONDS * 1000 - 1 && held <= what.ms + 1, `${path}: ${record.outcome} for an answer after ${what.ms.toFixed(1)} ms`);
    }
    byPath.delete(path);
  }
  assert.deepEqual([...byPath.values()], [], 'no record for a request the client did not send');
  assert.deepEqual(new Set(records.map((record) => record.outcome.replace(/ \d+ ms$/, ''))), new Set(['error reply', 'aborted', 'closed', 'delayed']));
});

test('a hung exchange is recorded when its connection closes, with how long it was held', async (t) => {
  const backend = await startTcpServer(t, (socket) => socket.on('data', (data) => socket.write(data)));
  const records: FaultRecord[] = [];
  const proxy = await startTestProxy(t, { backend: backend.address, behavior: '100:hang', faultLog: (record) => records.push(record) });
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('are you there?');
  await sleep(200);
  assert.equal(records.length, 0, 'no record while the exchange may still finish');
  // A client that gives up resets (a half-closed one would be cut at the idle --timeout).
  socket.resetAndDestroy();
  await waitFor(() => records.length > 0);
  const record = records[0] as FaultRecord;
  assert.deepEqual([record.behavior, record.request, record.outcome], ['hang', '14 bytes', 'hung']);
  assert.ok(record.durationMs >= 190, `held ${record.durationMs} ms`);
});

test('tcp exchanges are recorded as the next chunk comes, each with its own outcome', async (t) => {
  const backend = await startTcpServer(t, (socket) => socket.on('data', (data) => socket.write(data)));
  const records: FaultRecord[] = [];
  const proxy = await startTestProxy(t, { backend: backend.address, behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.02 } }, faultLog: (record) => records.push(record) });
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  t.after(() => socket.destroy());
  for (const word of ['one', 'three', 'seven']) {
    socket.write(word);
    await new Promise((resolve) => socket.once('data', resolve));
  }
  await waitFor(() => records.length === 2);
  assert.deepEqual(
    records.map((record) => [record.exchange, record.request, record.outcome.replace(/\d+ ms/, 'N ms')]),
    [
      [1, '3 bytes', 'delayed N ms'],
      [2, '5 bytes', 'delayed N ms'],
    ],
  );
});

test("a plugin protocol's own summary names its requests; without one, the framer's info does", async (t) => {
  const backend = await startTcpServer(t, (socket) => socket.on('data', (data) => socket.write(data)));
  const records: FaultRecord[] = [];
  for (const [name, summary] of [
    ['faultlog-kv', (request: Message) => `KV ${String(request.info?.['command'])}`],
    ['faultlog-kv-plain', undefined],
  ] as const) {
    Protocol.register(
      defineProtocol<Record<string, never>>({
        name,
        description: 'One request per line, its first word the command',
        options: {},
        pairing: 'ordered',
        createFramers: (_options, context) => ({ request: lines('request', context), response: lines('response', context) }),
        errorReply: () => ({ bytes: Buffer.from('ERR\n'), close: false }),
        ...(summary === undefined ? {} : { summary }),
      }),
    );
    const proxy = await startTestProxy(t, { backend: backend.address, protocol: name, behavior: '100:error', faultLog: (record) => records.push(record) });
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    t.after(() => socket.destroy());
    socket.write('fetch apples\n');
    await new Promise((resolve) => socket.once('data', resolve));
  }
  assert.deepEqual(
    records.map((record) => [record.request, record.outcome]),
    [
      ['KV fetch', 'error reply'],
      ['fetch', 'error reply'],
    ],
  );
});

/** Lines, the request's first word as its `command`; answers paired in order. */
function lines(direction: Direction, context: Parameters<Parameters<typeof defineProtocol>[0]['createFramers']>[1]): Framer {
  return {
    *push(chunk) {
      for (const line of chunk.toString('latin1').split(/(?<=\n)/)) {
        const bytes = Buffer.from(line, 'latin1');
        if (direction === 'request') yield { bytes, direction, exchange: context.openExchange(), first: true, last: true, info: { command: line.split(' ')[0] ?? '' } };
        else yield { bytes, direction, exchange: context.nextForwarded()?.exchange ?? 0, first: true, last: true };
      }
    },
    end: () => [],
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}
