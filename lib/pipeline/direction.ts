// One direction of a connection as a stream-chain pipeline: framer → behavior stage → writer.
// The stages fuse into one Duplex and run synchronously on the dummy path; the writes of one
// chunk are flushed together once its messages are all through. Backpressure: a stage that
// returns a promise holds the write callback (a delayed message pauses the source socket), and
// a new chunk waits until the target socket has drained, as `pipe` does.
import type { Duplex, Readable } from 'node:stream';
import asStream from 'stream-chain/asStream.js';
import { flushable, setFunctionList } from 'stream-chain/defs.js';
import type { Message } from '../contract/message.js';
import type { Framer } from '../contract/protocol.js';
import type { SocketWriter } from '../proxy/socket-write.js';
import type { StageResult } from './behavior-stage.js';
import type { Outgoing } from './outgoing.js';

export interface DirectionStages {
  readonly framer: Framer;
  readonly behavior: (message: Message) => StageResult;
  /** Queues each item's bytes on `target` (flushed at the end of each chunk). */
  readonly writer: (item: Outgoing) => void | Promise<void>;
  /** Where this direction writes. */
  readonly target: SocketWriter;
  /** Sees each raw chunk before framing. */
  readonly onChunk?: (chunk: Buffer) => void;
}

/**
 * Feeds `source`'s chunks to `pipeline` with backpressure, as `pipe` does with less per
 * connection; the returned function detaches it (a backend connection going back to the pool).
 */
export function feed(source: Readable, pipeline: Duplex): () => void {
  const onData = (chunk: Buffer): void => {
    if (!pipeline.write(chunk)) source.pause();
  };
  const onDrain = (): void => void source.resume();
  const onEnd = (): void => void pipeline.end();
  source.on('data', onData);
  source.on('end', onEnd);
  pipeline.on('drain', onDrain);
  return () => {
    source.off('data', onData);
    source.off('end', onEnd);
    pipeline.off('drain', onDrain);
    source.pause();
  };
}

/** Objects buffered on the writable side: tiny, so a held message pauses the socket at once. */
const WRITABLE_HIGH_WATER_MARK = 2;

export function createDirection({ framer, behavior, writer, target, onChunk }: DirectionStages): Duplex {
  const frame = (chunk: Buffer): Iterator<Message> => {
    onChunk?.(chunk);
    return flushingWhenDone(framer.push(chunk)[Symbol.iterator](), target);
  };
  const stage = flushable(
    (chunk: Buffer): Iterator<Message> | Promise<Iterator<Message>> => {
      const wait = target.drained();
      return wait === undefined ? frame(chunk) : wait.then(() => frame(chunk));
    },
    (): Iterator<Message> => flushingWhenDone(framer.end()[Symbol.iterator](), target),
  );
  // What chain() builds for a list of functions, minus the outer Duplex chain() wraps it in and
  // gen()'s async bridge, which asStream does not use for a function list: one stream per
  // direction, ~3 KiB less per connection. The stages are typed one by one above.
  const fused = setFunctionList(unusedEntry, [stage, behavior, writer] as Array<(value: never) => unknown>);
  const pipeline = asStream(fused, { writableHighWaterMark: WRITABLE_HIGH_WATER_MARK });
  pipeline.resume(); // the writer emits nothing; keep the readable side flowing so it can end
  return pipeline;
}

/** asStream runs a function list's stages itself and never calls the list's own function. */
function unusedEntry(): never {
  throw new Error('stream-chain called a function list directly');
}

/**
 * The framer's messages, flushing `target` once the last one has gone through the stages:
 * stream-chain asks for the next message only after the previous one reached the writer.
 */
function flushingWhenDone(messages: Iterator<Message>, target: SocketWriter): Iterator<Message> {
  return {
    next() {
      const result = messages.next();
      if (result.done === true) target.flush();
      return result;
    },
    return(value?: unknown) {
      target.flush();
      return messages.return?.(value) ?? { done: true, value: undefined };
    },
  };
}
