// Messages of redis and memcache framers kept as ranges of their chunk (ChunkRanges): the proxy
// writes those of dummy exchanges without making them. What must not change: the bytes and their
// order, and the messages a behavior sees (with their info), whichever exchanges were drawn one.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import fc from 'fast-check';
import { identity, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { ChunkRanges, ConnectionPipelines, DirectionPipeline, SocketWriter, defineBehavior, type BehaviorDefinition, type Direction, type Message, type ProtocolDefinition } from '../../lib/index.js';
import { silentLogger } from '../../lib/log.js';
import { memcache } from '../../plugins/protocols/memcache.js';
import { redis } from '../../plugins/protocols/redis.js';
import { splitAt, testFramerContext } from '../helpers/framing.js';
import { UNWATCHED_HOST } from '../helpers/pipelines-host.js';
import { collectingSocket } from '../helpers/sockets.js';

interface Seen {
  readonly exchange: number;
  readonly bytes: string;
  readonly first: boolean;
  readonly last: boolean;
  readonly info?: string;
  readonly noReply?: boolean;
}

const seen = (message: Message): Seen => ({
  exchange: message.exchange,
  bytes: message.bytes.toString('latin1'),
  first: message.first,
  last: message.last,
  ...(message.info === undefined ? {} : { info: JSON.stringify(message.info) }),
  ...(message.noReply === true ? { noReply: true } : {}),
});

/**
 * Both directions of one connection of `protocol` fed chunk by chunk (requests first, then
 * answers) into real sockets; exchanges for which `acts` is true get a behavior that records
 * the messages it is given on both sides.
 */
async function run(t: TestContext, protocol: ProtocolDefinition, acts: (exchange: number) => boolean, requests: readonly Buffer[], answers: readonly Buffer[], streamWatch?: BehaviorDefinition) {
  const toBackend = await collectingSocket(t);
  const toClient = await collectingSocket(t);
  const recorded: Record<Direction, Seen[]> = { request: [], response: [] };
  const record = (direction: Direction): MonoTypeOperatorFunction<Message> => tap((message) => recorded[direction].push(seen(message)));
  const definition = defineBehavior({ name: 'record', description: 'records', options: {}, operator: (context) => (context.exchange === 0 ? identity : record(context.direction)) });
  const finished: Record<Direction, () => void> = { request: () => {}, response: () => {} };
  const done = (direction: Direction): Promise<void> => new Promise((resolve) => (finished[direction] = resolve));
  const pipelines = new ConnectionPipelines({
    protocol,
    protocolOptions: { buffer: 2048, keep_alive: false, reuse_socket: false },
    toBackend: new SocketWriter(toBackend.socket),
    toClient: new SocketWriter(toClient.socket),
    seed: 1,
    log: silentLogger,
    host: {
      choose: (exchange) => (acts(exchange) ? { choice: { definition, options: {}, weight: 100 }, exchangesSoFar: 0 } : undefined),
      directionFinished: (direction) => finished[direction](),
      operatorFailed: (_direction, error) => assert.fail(String(error)),
      ...UNWATCHED_HOST,
    },
  });
  if (streamWatch !== undefined) pipelines.setStreamBehaviors([{ key: streamWatch.name, version: 1, definition: streamWatch, options: {} }]);
  for (const [direction, chunks] of [['request', requests], ['response', answers]] as const) {
    const source = new PassThrough();
    const over = done(direction);
    new DirectionPipeline(direction, pipelines.framers[direction], pipelines.flow(direction), { chunkArrived: () => {}, fail: (_direction, error) => assert.fail(String(error)) }).feed(source);
    for (const chunk of chunks) source.emit('data', chunk);
    source.emit('end');
    await over;
  }
  return { recorded, backendGot: await toBackend.received(), clientGot: await toClient.received() };
}

/** What iterating fresh framers of `protocol` gives for the same chunks, answers paired with every request. */
function iterated(protocol: ProtocolDefinition, requests: readonly Buffer[], answers: readonly Buffer[]): Record<Direction, Seen[]> {
  const context = testFramerContext();
  const framers = protocol.createFramers({ buffer: 2048, keep_alive: false, reuse_socket: false }, context);
  const request: Message[] = [];
  for (const chunk of requests) request.push(...framers.request.push(chunk));
  request.push(...framers.request.end());
  for (const message of request) if (message.first && message.exchange !== 0 && message.noReply !== true) context.forwarded.push({ exchange: message.exchange, info: message.info });
  const response: Message[] = [];
  for (const chunk of answers) response.push(...framers.response.push(chunk));
  response.push(...framers.response.end());
  return { request: request.map(seen), response: response.map(seen) };
}

const repeat = (text: string, times: number): Buffer => Buffer.from(text.repeat(times), 'latin1');

// Exchange 3 subscribes to two channels and 4 leaves both: each is answered by two
// confirmations, which only the commands' info (forwarded with them) tells apart from replies.
const REDIS_REQUESTS = Buffer.concat([
  repeat('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n', 2),
  Buffer.from('*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$11\r\nUNSUBSCRIBE\r\n', 'latin1'),
  repeat('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n', 36),
  Buffer.from('PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n' + 'v'.repeat(5000) + '\r\n*1\r\n$4\r\nINCR\r\n', 'latin1'),
  repeat('*2\r\n$4\r\nLLEN\r\n$1\r\nl\r\n', 30),
]);
const REDIS_ANSWERS = Buffer.concat([
  repeat('$5\r\nvalue\r\n', 2),
  Buffer.from('*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n', 'latin1'),
  Buffer.from('*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n', 'latin1'),
  repeat('$5\r\nvalue\r\n', 36), Buffer.from('+PONG\r\n+OK\r\n-ERR wrong number\r\n', 'latin1'), repeat(':7\r\n', 30)]);

// Exchange 3 is a `stats`, whose STAT lines only the command's info (forwarded with it) tells apart from answers.
const MEMCACHE_REQUESTS = Buffer.concat([
  repeat('get key\r\n', 2),
  Buffer.from('stats\r\n', 'latin1'),
  repeat('get key\r\n', 37),
  Buffer.from('set k 0 0 5000\r\n' + 'v'.repeat(5000) + '\r\ndelete k noreply\r\n', 'latin1'),
  repeat('incr n 1\r\n', 30),
]);
const MEMCACHE_ANSWERS = Buffer.concat([
  repeat('VALUE key 0 5\r\nvalue\r\nEND\r\n', 2),
  Buffer.from('STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n', 'latin1'),
  repeat('VALUE key 0 5\r\nvalue\r\nEND\r\n', 37), Buffer.from('STORED\r\n', 'latin1'), repeat('8\r\n', 30)]);

// 18 and 44: the `stats` and the SUBSCRIBE begin a chunk, so in a dummy exchange they go as ranges.
const CUTS = [1, 17, 18, 33, 34, 44, 250, 1000, 1001, 3000, 5100, 5133, 6000];

for (const [protocol, requestBytes, answerBytes] of [
  [redis, REDIS_REQUESTS, REDIS_ANSWERS],
  [memcache, MEMCACHE_REQUESTS, MEMCACHE_ANSWERS],
] as const) {
  for (const [name, acts] of [
    ['every third exchange', (exchange: number) => exchange % 3 === 0],
    ['scattered exchanges', (exchange: number) => [1, 2, 5, 40, 41, 42, 43, 70].includes(exchange)],
    ['every exchange', () => true],
    ['no exchange', () => false],
  ] as const) {
    test(`${protocol.name}, ${name} drawn a behavior: it sees exactly its messages with their info, and every byte leaves in order`, async (t) => {
      const requests = splitAt(requestBytes, CUTS);
      const answers = splitAt(answerBytes, CUTS.map((cut) => cut * 3));
      const { recorded, backendGot, clientGot } = await run(t, protocol, acts, requests, answers);
      const expected = iterated(protocol, requests, answers);
      assert.deepEqual(recorded.request, expected.request.filter((message) => acts(message.exchange)));
      assert.deepEqual(recorded.response, expected.response.filter((message) => message.exchange !== 0 && acts(message.exchange)));
      assert.deepEqual(backendGot, requestBytes);
      assert.deepEqual(clientGot, answerBytes);
    });
  }
}

for (const [protocol, requestBytes, answerBytes] of [
  [redis, REDIS_REQUESTS, REDIS_ANSWERS],
  [memcache, MEMCACHE_REQUESTS, MEMCACHE_ANSWERS],
] as const) {
  test(`${protocol.name}, every exchange dummy under a stream behavior: the stream behavior is given every byte, in order`, async (t) => {
    // Whole runs of dummy messages skip the per-message checks: never past a stream behavior.
    const given: Record<Direction, Buffer[]> = { request: [], response: [] };
    const watch = defineBehavior({ name: 'watch', description: 'records every byte', options: {}, scope: 'stream', operator: (context) => tap((message: Message) => given[context.direction].push(message.bytes)) });
    const requests = splitAt(requestBytes, CUTS);
    const answers = splitAt(answerBytes, CUTS.map((cut) => cut * 3));
    const { backendGot, clientGot } = await run(t, protocol, () => false, requests, answers, watch);
    assert.deepEqual(Buffer.concat(given.request), requestBytes);
    assert.deepEqual(Buffer.concat(given.response), answerBytes);
    assert.deepEqual(backendGot, requestBytes);
    assert.deepEqual(clientGot, answerBytes);
  });
}

test('iterating ChunkRanges gives its ranges and its own bytes as messages, in order, with first, last, info and noReply', () => {
  const ranges = new ChunkRanges(Buffer.from('abcdefgh'), 'request');
  ranges.add(0, 3, 1, true, true, { command: 'ABC' });
  ranges.addBytes(Buffer.from('held'), 2, true, false);
  ranges.add(3, 8, 2, false, true, undefined, true);
  assert.equal(ranges.count, 3);
  assert.deepEqual([...ranges].map(seen), [
    { exchange: 1, bytes: 'abc', first: true, last: true, info: '{"command":"ABC"}' },
    { exchange: 2, bytes: 'held', first: true, last: false },
    { exchange: 2, bytes: 'defgh', first: false, last: true, noReply: true },
  ]);
  assert.deepEqual([...ranges.messagesFrom(1)].map((message) => message.bytes.toString()), ['held', 'defgh']);
  assert.deepEqual([...new ChunkRanges(Buffer.alloc(0), 'response')], []);
});

test('any number of messages, one alone or many, reads back the same through every accessor and iterated, and tells one run', () => {
  const chunk = Buffer.from('0123456789abcdefghij');
  const message = fc.record({
    own: fc.boolean(),
    start: fc.nat({ max: chunk.length }),
    length: fc.nat({ max: 5 }),
    exchange: fc.nat({ max: 9 }),
    first: fc.boolean(),
    last: fc.boolean(),
    info: fc.option(fc.constantFrom('GET', 'SET'), { nil: undefined }),
    noReply: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(message, { maxLength: 20 }), (added) => {
      const ranges = new ChunkRanges(chunk, 'response');
      const expected = added.map(({ own, start, length, exchange, first, last, info, noReply }) => {
        const end = Math.min(start + length, chunk.length);
        const bytes = own ? Buffer.from(`own ${start}`) : chunk.subarray(start, end);
        const infoObject = info === undefined ? undefined : { command: info };
        if (own) ranges.addBytes(bytes, exchange, first, last, infoObject, noReply);
        else ranges.add(start, end, exchange, first, last, infoObject, noReply);
        return { own, start, end, exchange, last, info: infoObject, noReply, seen: seen({ bytes, direction: 'response', exchange, first, last, ...(infoObject === undefined ? {} : { info: infoObject }), ...(noReply ? { noReply } : {}) }) };
      });
      assert.equal(ranges.count, added.length);
      expected.forEach((want, at) => {
        assert.equal(ranges.isRange(at), !want.own);
        if (!want.own) assert.deepEqual([ranges.startOf(at), ranges.endOf(at)], [want.start, want.end]);
        assert.deepEqual([ranges.exchangeOf(at), ranges.isLast(at), ranges.isNoReply(at), ranges.infoOf(at)], [want.exchange, want.last, want.noReply, want.info]);
      });
      assert.deepEqual([...ranges].map(seen), expected.map((want) => want.seen));
      // One run: every message a range of the chunk, each starting where the one before ended.
      const oneRun = expected.length > 0 && expected.every((want, at) => !want.own && (at === 0 || want.start === (expected[at - 1] as { end: number }).end));
      assert.equal(ranges.isOneRun, oneRun);
    }),
    { numRuns: 300 },
  );
});
