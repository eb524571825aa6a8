// One direction driven on its own: a source stream, the redis request framer, the engine's
// request flow (a behavior holding some exchanges), and a real socket as the target. What a
// connection relies on: every byte out in order, later exchanges waiting behind a held one, the
// source paused while a side holds more than the limit, the end reported once after everything
// went through, a failing operator stopping the connection, and a source handed over at a switch
// to TLS with what was read from it and not framed yet.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import { delay, identity, map, type MonoTypeOperatorFunction } from 'rxjs';
import { ConnectionPipelines, DirectionPipeline, SocketWriter, defineBehavior, type Direction, type Framer, type Message } from '../../lib/index.js';
import { silentLogger } from '../../lib/log.js';
import { redis } from '../../plugins/protocols/redis.js';
import { defaultsOf } from '../../lib/contract/options.js';
import { UNWATCHED_HOST } from '../helpers/pipelines-host.js';
import { startTcpServer } from '../helpers/sockets.js';

/** A redis request direction over a real socket, fed from a PassThrough, recording what it reports. */
interface Rig {
  readonly source: PassThrough;
  readonly pipeline: DirectionPipeline;
  readonly errors: unknown[];
  /** How many times the end was reported. */
  finished(): number;
  /** Ends the target socket; everything its peer received. */
  received(): Promise<Buffer>;
}

/** The built-in framers return arrays; a plugin's may return any iterable, a generator's included. */
type FramerKind = 'array' | 'generator';

async function socketPair(t: TestContext, onData: (chunk: Buffer) => void): Promise<{ socket: Socket; ended: () => Promise<void> }> {
  let ended: Promise<void> = Promise.resolve();
  const server = await startTcpServer(t, (peer) => {
    ended = new Promise((resolve) => peer.on('end', resolve));
    peer.on('data', onData);
  });
  const socket = connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  t.after(() => socket.destroy());
  while (server.accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  return { socket, ended: () => ended };
}

/** `operatorFor(exchange)` acts on the request side of the exchanges it returns an operator for. */
async function redisRequestRig(t: TestContext, operatorFor: (exchange: number) => MonoTypeOperatorFunction<Message> | undefined, kind: FramerKind = 'array'): Promise<Rig> {
  const chunks: Buffer[] = [];
  const toBackend = await socketPair(t, (chunk) => chunks.push(chunk));
  const toClient = await socketPair(t, () => {});
  const errors: unknown[] = [];
  let finished = 0;
  const pipelines: ConnectionPipelines = new ConnectionPipelines({
    protocol: redis,
    protocolOptions: defaultsOf(redis.options),
    toBackend: new SocketWriter(toBackend.socket),
    toClient: new SocketWriter(toClient.socket),
    seed: 1,
    log: silentLogger,
    host: {
      choose(exchange) {
        const operator = operatorFor(exchange);
        if (operator === undefined) return undefined;
        const definition = defineBehavior({ name: 'test', description: 'test', options: {}, operator: ({ direction }) => (direction === 'request' ? operator : identity) });
        return { choice: { definition, options: {}, weight: 100 }, exchangesSoFar: 0 };
      },
      directionFinished: () => finished++,
      operatorFailed: (_direction, error) => {
        // As a connection does: everything stops.
        errors.push(error);
        pipelines.stop();
      },
      ...UNWATCHED_HOST,
    },
  });
  const source = new PassThrough();
  const framer: Framer =
    kind === 'array'
      ? pipelines.framers.request
      : {
          *push(chunk) {
            yield* pipelines.framers.request.push(chunk);
          },
          *end() {
            yield* pipelines.framers.request.end();
          },
        };
  const pipeline = new DirectionPipeline('request', framer, pipelines.request, { chunkArrived: () => {}, fail: (_direction: Direction, error: unknown) => errors.push(error) });
  pipeline.feed(source);
  return {
    source,
    pipeline,
    errors,
    finished: () => finished,
    received: async () => {
      toBackend.socket.end();
      await toBackend.ended();
      return Buffer.concat(chunks);
    },
  };
}

const command = (i: number): string => `*2\r\n$3\r\nGET\r\n$${String(i).length}\r\n${i}\r\n`;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

for (const kind of ['array', 'generator'] as const) {
  test(`exchanges behind a held one wait for it; every byte leaves in order and the end is reported once, after the last (a framer returning ${kind === 'array' ? 'arrays' : 'generators'})`, async (t) => {
    // Every 7th exchange is held 3 ms by its operator; the others pass (dummy).
    const { source, errors, finished, received } = await redisRequestRig(t, (exchange) => (exchange % 7 === 0 ? delay(3) : undefined), kind);
    const input = Buffer.from(Array.from({ length: 300 }, (_, i) => command(i)).join(''));
    // Chunks cut anywhere, commands straddling them, written without waiting.
    for (let at = 0; at < input.length; ) {
      const size = 1 + ((at * 7919) % 97);
      source.write(input.subarray(at, at + size));
      at += size;
    }
    source.end();
    await until(() => finished() > 0);
    assert.deepEqual(errors, []);
    assert.deepEqual(await received(), input);
    assert.equal(finished(), 1);
  });
}

test('a side holding more than the limit pauses the source until its operator lets go', async (t) => {
  // One SET of a 3 MB value: one exchange, streamed as many messages, all held 200 ms.
  const value = Buffer.alloc(3 * 1024 * 1024, 0x61);
  const input = Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`), value, Buffer.from('\r\n')]);
  const { source, errors, finished, received } = await redisRequestRig(t, () => delay(200));
  let pausedSeen = false;
  const watch = setInterval(() => (pausedSeen ||= source.isPaused()), 5);
  t.after(() => clearInterval(watch));
  source.end(input);
  await until(() => finished() > 0);
  assert.ok(pausedSeen, 'the source kept flowing while the side held its bytes');
  assert.deepEqual(errors, []);
  assert.deepEqual(await received(), input);
});

test('an operator that throws stops the connection: one error, nothing of its exchange or after it written', async (t) => {
  const failing = map<Message, Message>(() => {
    throw new Error('plugin bug');
  });
  const { source, errors, finished, received } = await redisRequestRig(t, (exchange) => (exchange === 3 ? failing : undefined));
  for (let i = 1; i <= 5; i++) source.write(command(i));
  source.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /plugin bug/);
  assert.equal(finished(), 0);
  assert.equal((await received()).toString(), command(1) + command(2));
});

test('at a switch to TLS, release(true) hands back the chunks read and not framed yet, with the end; nothing of them is written', async (t) => {
  const { source, pipeline, finished, received } = await redisRequestRig(t, (exchange) => (exchange === 1 ? delay(30) : undefined));
  // Emitted by hand: a source that delivered them while the held exchange kept the pipeline
  // busy. The second is framed (it waits behind the first); the third is not framed yet.
  source.emit('data', Buffer.from(command(1)));
  source.emit('data', Buffer.from(command(2)));
  source.emit('data', Buffer.from(command(3)));
  source.emit('end');
  const { chunks, ended } = pipeline.release(true);
  assert.deepEqual([Buffer.concat(chunks).toString(), ended], [command(3), true]);
  assert.equal(source.listenerCount('data'), 0, 'the source is still read');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(finished(), 0);
  assert.equal((await received()).toString(), command(1) + command(2));
});

test('release(false) keeps the chunks already read (plaintext before the switch): they go first, then the new source\'s', async (t) => {
  const { source, pipeline, finished, received } = await redisRequestRig(t, (exchange) => (exchange === 1 ? delay(30) : undefined));
  source.emit('data', Buffer.from(command(1)));
  source.emit('data', Buffer.from(command(2)));
  assert.deepEqual(pipeline.release(false), { chunks: [], ended: false });
  const next = new PassThrough();
  pipeline.feed(next);
  next.end(command(3));
  await until(() => finished() > 0);
  assert.equal((await received()).toString(), command(1) + command(2) + command(3));
});
