// One direction's pipeline on its own: a source stream, the redis request framer, a behavior
// stage that holds some messages, and a real socket as the target. What a connection relies
// on: every byte out in order, the source paused while a message is held, the end reported
// once after everything went through, and a failing stage stopping the direction.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import { many, type Many } from 'stream-chain/defs.js';
import { createFramerPair } from '../../lib/index.js';
import type { Message } from '../../lib/contract/message.js';
import type { Framer } from '../../lib/contract/protocol.js';
import type { BehaviorStage } from '../../lib/pipeline/behavior-stage.js';
import { DirectionPipeline } from '../../lib/pipeline/direction.js';
import type { Outgoing } from '../../lib/pipeline/outgoing.js';
import { SocketWriter } from '../../lib/proxy/socket-write.js';
import { startTcpServer } from '../helpers/sockets.js';

/** A redis request direction over a real socket, fed from a PassThrough, recording what it reports. */
interface Rig {
  readonly source: PassThrough;
  readonly target: SocketWriter;
  readonly errors: unknown[];
  /** How many times the end was reported. */
  finished(): number;
  /** Ends the target socket; everything its peer received. */
  received(): Promise<Buffer>;
}

/** The built-in framers return arrays; a plugin's may return any iterable, a generator's included. */
type FramerKind = 'array' | 'generator';

function redisRequestFramer(kind: FramerKind): Framer {
  const framer = createFramerPair('redis').request;
  if (kind === 'array') return framer;
  return {
    *push(chunk) {
      yield* framer.push(chunk);
    },
    *end() {
      yield* framer.end();
    },
  };
}

async function redisRequestRig(t: TestContext, behaviorFor: (source: PassThrough) => BehaviorStage, kind: FramerKind = 'array'): Promise<Rig> {
  const chunks: Buffer[] = [];
  let ended: Promise<void> = Promise.resolve();
  const server = await startTcpServer(t, (peer) => {
    ended = new Promise((resolve) => peer.on('end', resolve));
    peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  });
  const socket = connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  t.after(() => socket.destroy());
  while (server.accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));

  const target = new SocketWriter(socket);
  const source = new PassThrough();
  const errors: unknown[] = [];
  let finished = 0;
  const pipeline = new DirectionPipeline(
    'request',
    { framer: redisRequestFramer(kind), behavior: behaviorFor(source), target },
    {
      writeOut: (_direction, item: Outgoing) => {
        if ('bytes' in item) target.write(item.bytes);
      },
      chunkArrived: () => {},
      sourceFinished: () => finished++,
      fail: (_direction, error) => errors.push(error),
    },
  );
  pipeline.feed(source);
  return {
    source,
    target,
    errors,
    finished: () => finished,
    received: async () => {
      socket.end();
      await ended;
      return Buffer.concat(chunks);
    },
  };
}

const command = (i: number): string => `*2\r\n$3\r\nGET\r\n$${String(i).length}\r\n${i}\r\n`;

for (const kind of ['array', 'generator'] as const) {
  test(`held messages pause the source; every byte leaves in order and the end is reported once, after the last (a framer returning ${kind === 'array' ? 'arrays' : 'generators'})`, async (t) => {
    const pausedWhileHeld: boolean[] = [];
    // Every 7th exchange is held 3 ms, as a delay would; the others pass (dummy).
    const { source, target, errors, finished, received } = await redisRequestRig(
      t,
      (source) => ({
        run: (message: Message) =>
          new Promise<Many<Outgoing>>((resolve) =>
            setTimeout(() => {
              pausedWhileHeld.push(source.isPaused());
              resolve(many<Outgoing>([message]));
            }, 3),
          ),
        passes: (message: Message) => message.exchange % 7 !== 0,
      }),
      kind,
    );

    const input = Buffer.from(Array.from({ length: 300 }, (_, i) => command(i)).join(''));
    // Chunks cut anywhere, commands straddling them, written without waiting.
    for (let at = 0; at < input.length; ) {
      const size = 1 + ((at * 7919) % 97);
      source.write(input.subarray(at, at + size));
      at += size;
    }
    source.end();
    while (finished() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    target.flush();

    assert.deepEqual(errors, []);
    assert.deepEqual(await received(), input);
    assert.equal(finished(), 1);
    assert.ok(pausedWhileHeld.length >= Math.floor(300 / 7), `${pausedWhileHeld.length} messages held`);
    assert.ok(pausedWhileHeld.every(Boolean), 'the source was flowing while a message was held');
  });
}

test('a stage that throws stops the direction: one error, nothing written after it, no end reported', async (t) => {
  const { source, target, errors, finished, received } = await redisRequestRig(t, () => ({
    run: (message: Message): Message => {
      if (message.exchange === 3) throw new Error('plugin bug');
      return message;
    },
    passes: (message: Message) => message.exchange % 2 === 0,
  }));
  for (let i = 1; i <= 5; i++) source.write(command(i));
  source.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  target.flush();

  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /plugin bug/);
  assert.equal(finished(), 0);
  assert.equal((await received()).toString(), command(1) + command(2));
});
