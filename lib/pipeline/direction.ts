// One direction of a connection as a stream-chain pipeline: framer → behavior stage → writer.
// The stages fuse into one Duplex and run synchronously on the dummy path. Backpressure: a
// stage that returns a promise holds the write callback (a delayed message pauses the source
// socket), and a new chunk waits until the target socket has drained, as `pipe` does.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { chainUnchecked } from 'stream-chain';
import { flushable } from 'stream-chain/defs.js';
import type { Message } from '../contract/message.js';
import type { Framer } from '../contract/protocol.js';
import { corkForTick, drained } from '../proxy/socket-write.js';
import type { StageResult } from './behavior-stage.js';
import type { Outgoing } from './outgoing.js';

export interface DirectionStages {
  readonly framer: Framer;
  readonly behavior: (message: Message) => StageResult;
  /** Writes to `target` (without waiting: the next chunk waits for drain instead). */
  readonly writer: (item: Outgoing) => void | Promise<void>;
  /** The socket this direction writes to. */
  readonly target: Socket;
  /** Sees each raw chunk before framing. */
  readonly onChunk?: (chunk: Buffer) => void;
}

/** Objects buffered on the writable side: tiny, so a held message pauses the socket at once. */
const WRITABLE_HIGH_WATER_MARK = 2;

export function createDirection({ framer, behavior, writer, target, onChunk }: DirectionStages): Duplex {
  const frame = (chunk: Buffer): Iterator<Message> => {
    onChunk?.(chunk);
    // The messages of one chunk leave in one syscall.
    corkForTick(target);
    return framer.push(chunk)[Symbol.iterator]();
  };
  const stage = flushable(
    (chunk: Buffer): Iterator<Message> | Promise<Iterator<Message>> => {
      const wait = drained(target);
      return wait === undefined ? frame(chunk) : wait.then(() => frame(chunk));
    },
    (): Iterator<Message> => framer.end()[Symbol.iterator](),
  );
  // Unchecked: stream-chain's types do not follow a stage that returns an iterator; each
  // stage above is typed on its own, and Iterator<Message> feeds Message to the next.
  const pipeline = chainUnchecked([stage, behavior, writer], { writableHighWaterMark: WRITABLE_HIGH_WATER_MARK });
  pipeline.resume(); // the writer emits nothing; keep the readable side flowing so it can end
  return pipeline;
}
