// One direction of a connection as a stream-chain pipeline: framer → behavior stage → writer.
// The stages fuse into one Duplex and run synchronously on the dummy path; a stage that
// returns a promise holds the write callback, which is how backpressure reaches the socket.
import type { Duplex } from 'node:stream';
import { chainUnchecked } from 'stream-chain';
import { flushable } from 'stream-chain/defs.js';
import type { Message } from '../contract/message.js';
import type { Framer } from '../contract/protocol.js';
import type { StageResult } from './behavior-stage.js';
import type { Outgoing } from './outgoing.js';

export interface DirectionStages {
  readonly framer: Framer;
  readonly behavior: (message: Message) => StageResult;
  readonly writer: (item: Outgoing) => void | Promise<void>;
  /** Sees each raw chunk before framing (batching writes, noticing the first bytes). */
  readonly onChunk?: (chunk: Buffer) => void;
}

/** Objects buffered on the writable side: tiny, so a held message pauses the socket at once. */
const WRITABLE_HIGH_WATER_MARK = 2;

export function createDirection({ framer, behavior, writer, onChunk }: DirectionStages): Duplex {
  const frame = flushable(
    (chunk: Buffer): Iterator<Message> => {
      onChunk?.(chunk);
      return framer.push(chunk)[Symbol.iterator]();
    },
    (): Iterator<Message> => framer.end()[Symbol.iterator](),
  );
  // Unchecked: stream-chain's types do not follow a stage that returns an iterator; each
  // stage above is typed on its own, and Iterator<Message> feeds Message to the next.
  const pipeline = chainUnchecked([frame, behavior, writer], { writableHighWaterMark: WRITABLE_HIGH_WATER_MARK });
  pipeline.resume(); // the writer emits nothing; keep the readable side flowing so it can end
  return pipeline;
}
