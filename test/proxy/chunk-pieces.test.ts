// tcp chunks cut into pieces (ChunkPieces): the proxy writes pieces of dummy exchanges as ranges
// of their chunk, without making their messages. What must not change: the bytes and their order,
// the exchange each piece gets, and the pieces a behavior or a stream behavior sees, whichever
// exchanges of a chunk were drawn a behavior.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import { identity, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { ChunkPieces, ConnectionPipelines, DirectionPipeline, SocketWriter, defineBehavior, type Direction, type Framer, type Message } from '../../lib/index.js';
import { silentLogger } from '../../lib/log.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { UNWATCHED_HOST } from '../helpers/pipelines-host.js';
import { collectingSocket } from '../helpers/sockets.js';

const BUFFER = 100;

interface Seen {
  readonly exchange: number;
  readonly bytes: string;
  readonly first: boolean;
  readonly last: boolean;
}

const seen = (message: Message): Seen => ({ exchange: message.exchange, bytes: message.bytes.toString('hex'), first: message.first, last: message.last });

/**
 * The tcp framers of one connection, `direction` driven from a source fed chunk by chunk, into a
 * real socket. `acts(exchange)`: the exchange is drawn a behavior that records, on `direction`,
 * the messages it is given (and passes them on).
 */
async function tcpRig(t: TestContext, direction: Direction, acts: (exchange: number) => boolean, ownFramer?: Framer) {
  let answers = 0;
  const target = await collectingSocket(t);
  const other = await collectingSocket(t);
  const recorded: Seen[] = [];
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const record: MonoTypeOperatorFunction<Message> = tap((message) => recorded.push(seen(message)));
  const definition = defineBehavior({ name: 'record', description: 'records', options: {}, operator: (context) => (context.direction === direction ? record : identity) });
  const pipelines = new ConnectionPipelines({
    protocol: tcp,
    protocolOptions: { buffer: BUFFER, keep_alive: false, reuse_socket: false },
    toBackend: new SocketWriter(direction === 'request' ? target.socket : other.socket),
    toClient: new SocketWriter(direction === 'response' ? target.socket : other.socket),
    seed: 1,
    log: silentLogger,
    host: {
      choose: (exchange) => (acts(exchange) ? { choice: { definition, options: {}, weight: 100 }, exchangesSoFar: 0 } : undefined),
      directionFinished: (which) => {
        if (which === direction) finish();
      },
      operatorFailed: (_direction, error) => assert.fail(String(error)),
      ...UNWATCHED_HOST,
      answered: () => answers++,
    },
  });
  const source = new PassThrough();
  const framer = ownFramer ?? (direction === 'request' ? pipelines.framers.request : pipelines.framers.response);
  new DirectionPipeline(direction, framer, pipelines.flow(direction), { chunkArrived: () => {}, fail: (_direction, error) => assert.fail(String(error)) }).feed(source);
  /** Feeds `chunks` one 'data' event each, then the end; settles once everything went through. */
  const feed = async (chunks: readonly Buffer[]): Promise<void> => {
    for (const chunk of chunks) source.emit('data', chunk);
    source.emit('end');
    await finished;
  };
  return { feed, pipelines, recorded, received: target.received, answers: () => answers };
}

/** What iterating the tcp request framer gives for `chunks`: every piece, its exchange numbered in order. */
function expectedRequestPieces(chunks: readonly Buffer[]): Seen[] {
  let exchange = 0;
  return chunks.flatMap((chunk) =>
    Array.from({ length: Math.ceil(chunk.length / BUFFER) }, (_, at) => ({ exchange: ++exchange, bytes: chunk.subarray(at * BUFFER, (at + 1) * BUFFER).toString('hex'), first: true, last: true })),
  );
}

const SIZES = [1, 250, 1000, 99, 100, 101, 777, 64 * 1024];

for (const [name, acts] of [
  ['every third exchange', (exchange: number) => exchange % 3 === 0],
  ['scattered exchanges, first and last pieces of chunks among them', (exchange: number) => [1, 2, 4, 5, 14, 15, 18, 27, 682].includes(exchange)],
  ['every exchange', () => true],
  ['no exchange', () => false],
] as const) {
  test(`request pieces: ${name} drawn a behavior, it sees exactly its pieces, and every byte leaves in order`, async (t) => {
    const { feed, recorded, received } = await tcpRig(t, 'request', acts);
    const chunks = SIZES.map((size) => randomBytes(size));
    await feed(chunks);
    const expected = expectedRequestPieces(chunks);
    assert.deepEqual(recorded, expected.filter((piece) => acts(piece.exchange)));
    assert.deepEqual(await received(), Buffer.concat(chunks));
  });
}

test('response pieces of one dummy exchange leave whole; a tracked exchange sees each piece, the first one first', async (t) => {
  // The server speaks first: exchange 1 is its greeting, the only exchange here.
  for (const tracked of [false, true]) {
    const { feed, recorded, received } = await tcpRig(t, 'response', () => tracked);
    const chunks = [randomBytes(1050), randomBytes(300)];
    await feed(chunks);
    const pieces = chunks.flatMap((chunk, c) =>
      Array.from({ length: Math.ceil(chunk.length / BUFFER) }, (_, at) => ({ exchange: 1, bytes: chunk.subarray(at * BUFFER, (at + 1) * BUFFER).toString('hex'), first: c === 0 && at === 0, last: false })),
    );
    assert.deepEqual(recorded, tracked ? pieces : []);
    assert.deepEqual(await received(), Buffer.concat(chunks));
  }
});

test('with a stream behavior in force, it sees every piece of every chunk, dummy exchanges included', async (t) => {
  const { feed, pipelines, received } = await tcpRig(t, 'request', () => false);
  const sizes: number[] = [];
  const watcher = defineBehavior({ name: 'sizes', description: 'records sizes', options: {}, scope: 'stream', operator: () => tap((message: Message) => sizes.push(message.bytes.length)) });
  pipelines.setStreamBehaviors([{ key: 'sizes', version: 1, definition: watcher, options: {} }]);
  const chunks = [randomBytes(350), randomBytes(100)];
  await feed(chunks);
  assert.deepEqual(await received(), Buffer.concat(chunks));
  assert.deepEqual(sizes, [100, 100, 100, 50, 100]);
});

test('an empty ChunkPieces is no piece: the proxy ends no side for it, as iterating it shows', async (t) => {
  // A framer giving each chunk as the whole of exchange 1's answer, fed an empty chunk.
  const whole: Framer = { push: (chunk) => ChunkPieces.ofOneExchange(chunk, BUFFER, 'response', 1, true, true), end: () => [] };
  assert.deepEqual([...whole.push(Buffer.alloc(0))], []);
  const { feed, answers, received } = await tcpRig(t, 'response', () => false, whole);
  await feed([Buffer.alloc(0)]);
  assert.equal(answers(), 0);
  assert.deepEqual(await received(), Buffer.alloc(0));
});

test('iterating ChunkPieces gives the pieces, each exchange opened only when its piece is reached', () => {
  let opened = 0;
  const pieces = ChunkPieces.eachOwnExchange(Buffer.from('abcdefgh'), 3, 'request', () => ++opened);
  const iterator = pieces[Symbol.iterator]();
  assert.equal(opened, 0);
  assert.deepEqual(iterator.next().value, { bytes: Buffer.from('abc'), direction: 'request', exchange: 1, first: true, last: true });
  assert.equal(opened, 1);
  assert.deepEqual([...{ [Symbol.iterator]: () => iterator }].map((message) => [message.bytes.toString(), message.exchange]), [
    ['def', 2],
    ['gh', 3],
  ]);
  const ofOne = [...ChunkPieces.ofOneExchange(Buffer.from('abcdefgh'), 3, 'response', 7, true, true)];
  assert.deepEqual(
    ofOne.map((message) => [message.bytes.toString(), message.exchange, message.first, message.last]),
    [
      ['abc', 7, true, false],
      ['def', 7, false, false],
      ['gh', 7, false, true],
    ],
  );
});

test('a socket writer given ranges and views of the same memory writes exactly them, in order', async (t) => {
  const target = await collectingSocket(t);
  const writer = new SocketWriter(target.socket);
  const memory = randomBytes(400);
  const chunk = memory.subarray(100, 300);
  // A range, then a view that continues it past the chunk's end: as long as the chunk, not the chunk.
  writer.writeRange(chunk, 10, 20);
  writer.write(memory.subarray(120, 310));
  writer.flush();
  writer.writeRange(chunk, 0, 200);
  writer.writeRange(chunk, 50, 60);
  writer.write(Buffer.from('tail'));
  writer.flush();
  const expected = Buffer.concat([memory.subarray(110, 310), chunk, chunk.subarray(50, 60), Buffer.from('tail')]);
  assert.deepEqual(await received(target), expected);
});

const received = (pair: { received: () => Promise<Buffer> }): Promise<Buffer> => pair.received();
