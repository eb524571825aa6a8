// Pipelined messages of dummy exchanges pass a chunk's run at a time (one write, one call for
// their bookkeeping). What a connection must still know afterwards: every byte counted, every
// answer awaited until written, the backend released only once the run's answers are queued,
// and, after the proxy answered by itself, the answers in order behind its own.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import { ConnectionPipelines, DirectionPipeline, SocketWriter, type Direction, type PipelinesHost } from '../../lib/index.js';
import { silentLogger } from '../../lib/log.js';
import type { ExchangePick } from '../../lib/pipeline/exchanges.js';
import { error } from '../../plugins/behaviors/error.js';
import { redis } from '../../plugins/protocols/redis.js';
import { splitAt } from '../helpers/framing.js';
import { UNWATCHED_HOST } from '../helpers/pipelines-host.js';
import { collectingSocket } from '../helpers/sockets.js';

const GET = '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n';
const VALUE = '$5\r\nvalue\r\n';
const ERROR_REPLY = '-ERR vaurien injected error\r\n';

/** One redis connection's pipelines between two real sockets; `choose` draws each exchange's behavior. */
async function connection(t: TestContext, choose: (exchange: number) => ExchangePick | undefined, answered: (pipelines: ConnectionPipelines, toClient: SocketWriter) => void = () => {}) {
  const toBackend = await collectingSocket(t);
  const toClient = await collectingSocket(t);
  const clientWriter = new SocketWriter(toClient.socket);
  const counters = { bytes: { request: 0, response: 0 }, countFault() {} };
  const host: PipelinesHost = { ...UNWATCHED_HOST, choose, directionFinished() {}, operatorFailed: (_direction, problem) => assert.fail(String(problem)), answered: () => answered(pipelines, clientWriter) };
  const pipelines: ConnectionPipelines = new ConnectionPipelines({
    protocol: redis,
    protocolOptions: { buffer: 2048, keep_alive: false, reuse_socket: false },
    toBackend: new SocketWriter(toBackend.socket),
    toClient: clientWriter,
    seed: 1,
    log: silentLogger,
    counters,
    host,
  });
  const sources: Record<Direction, PassThrough> = { request: new PassThrough(), response: new PassThrough() };
  for (const direction of ['request', 'response'] as const) {
    new DirectionPipeline(direction, pipelines.framers[direction], pipelines.flow(direction), { chunkArrived() {}, fail: (_direction, problem) => assert.fail(String(problem)) }).feed(sources[direction]);
  }
  const feed = (direction: Direction, chunks: readonly Buffer[]): void => {
    for (const chunk of chunks) sources[direction].emit('data', chunk);
  };
  return { pipelines, counters, feed, backendGot: () => toBackend.received(), clientGot: () => toClient.received() };
}

test('pipelined GETs of dummy exchanges: every byte is counted both ways, and each answer is awaited until written', async (t) => {
  const { pipelines, counters, feed, backendGot, clientGot } = await connection(t, () => undefined);
  const requests = Buffer.from(GET.repeat(40), 'latin1');
  const answers = Buffer.from(VALUE.repeat(40), 'latin1');
  // Cut inside values too: a value across two chunks is bytes of its own, which ends a run.
  feed('request', splitAt(requests, [16 * GET.length, 16 * GET.length + 5, 33 * GET.length]));
  assert.equal(pipelines.pendingAnswers, 40);
  feed('response', splitAt(answers, [7, 16 * VALUE.length, 30 * VALUE.length + 3]));
  assert.equal(pipelines.pendingAnswers, 0);
  assert.deepEqual(counters.bytes, { request: requests.length, response: answers.length });
  assert.deepEqual(await backendGot(), requests);
  assert.deepEqual(await clientGot(), answers);
});

test('an answer that lets the backend go (the client ends its writer, as a pool release does) comes after the answers of its run', async (t) => {
  let released = 0;
  const { feed, clientGot } = await connection(
    t,
    () => undefined,
    (pipelines, toClient) => {
      if (released > 0 || !pipelines.isBetweenExchanges) return;
      released++;
      toClient.end();
    },
  );
  feed('request', [Buffer.from(GET.repeat(16), 'latin1')]);
  feed('response', [Buffer.from(VALUE.repeat(16), 'latin1')]);
  assert.equal(released, 1);
  assert.equal((await clientGot()).toString('latin1'), VALUE.repeat(16));
});

test('after the proxy answered an exchange itself, the answers to the pipelined dummy ones follow its own, in order', async (t) => {
  const pick: ExchangePick = { choice: { definition: error, options: { inject: false, warmup: 0 }, weight: 100 }, exchangesSoFar: 0 };
  const { pipelines, feed, backendGot, clientGot } = await connection(t, (exchange) => (exchange === 1 || exchange === 20 ? pick : undefined));
  const answers = Array.from({ length: 30 }, (_, index) => `$2\r\n${String(index).padStart(2, '0')}\r\n`);
  feed('request', [Buffer.from(GET.repeat(32), 'latin1')]);
  // Exchanges 1 and 20 never reach the backend: it answers the other 30, in two chunks. The
  // proxy's answer to 1 is written at once, its answer to 20 waits for those to 2–19.
  assert.equal(pipelines.pendingAnswers, 31);
  feed('response', splitAt(Buffer.from(answers.join(''), 'latin1'), [12 * 6]));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pipelines.pendingAnswers, 0);
  assert.equal((await backendGot()).toString('latin1'), GET.repeat(30));
  assert.equal((await clientGot()).toString('latin1'), [ERROR_REPLY, ...answers.slice(0, 18), ERROR_REPLY, ...answers.slice(18)].join(''));
});
