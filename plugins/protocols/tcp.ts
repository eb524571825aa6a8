// Raw TCP: a message is a piece of at most `buffer` bytes, as Vaurien read them, cut the same way
// whatever behavior is drawn. Each client piece is an exchange; backend bytes belong to the
// newest one (tcp has no pairing to follow).
import { ChunkPieces } from '../../lib/contract/chunk-pieces.js';
import type { Direction, Message } from '../../lib/contract/message.js';
import { defineProtocol, GREETING, type Framer, type FramerContext } from '../../lib/contract/protocol.js';
import { connectionOptions } from './framing/connection-options.js';

export type TcpOptions = { buffer: number; keep_alive: boolean; reuse_socket: boolean };

/** Vaurien's error for raw tcp: 1000 random bytes. */
const ERROR_BYTES = 1000;
/** Random bytes `inject` puts in the middle of a chunk. */
const INJECTED_BYTES = 100;

function requestFramer(size: number, context: FramerContext): Framer {
  const direction: Direction = 'request';
  return {
    // One piece (the usual case): an array. More: pieces, each opening its exchange when it is
    // reached (a `latest` exchange is forgotten a window of exchanges later).
    push: (chunk) =>
      chunk.length > size ? ChunkPieces.eachOwnExchange(chunk, size, direction, () => context.openExchange()) : [{ bytes: chunk, direction, exchange: context.openExchange(), first: true, last: true }],
    end: () => [],
  };
}

function responseFramer(size: number, context: FramerContext): Framer {
  const direction: Direction = 'response';
  let answered = 0; // the exchange whose first response piece has gone by
  return {
    push(chunk): Iterable<Message> {
      // Bytes before any request: the server speaks first, which opens an exchange.
      const exchange = context.latestExchange === 0 ? context.openExchange(GREETING) : context.latestExchange;
      const first = exchange !== answered;
      answered = exchange;
      // `last` stays false: a tcp response never says it is complete.
      if (chunk.length <= size) return [{ bytes: chunk, direction, exchange, first, last: false }];
      return ChunkPieces.ofOneExchange(chunk, size, direction, exchange, first, false);
    },
    end: () => [],
  };
}

export const tcp = defineProtocol<TcpOptions>({
  name: 'tcp',
  description: 'TCP handler: passes raw chunks of at most `buffer` bytes',
  options: connectionOptions,
  pairing: 'latest',
  createFramers: (options, context) => ({ request: requestFramer(options.buffer, context), response: responseFramer(options.buffer, context) }),
  errorReply: (_request, rng) => ({ bytes: rng.bytes(ERROR_BYTES), close: false }),
  corrupt(message, rng): Message {
    const middle = message.bytes.length >> 1;
    const bytes = Buffer.concat([message.bytes.subarray(0, middle), rng.bytes(INJECTED_BYTES), message.bytes.subarray(middle)]);
    return { ...message, bytes };
  },
  // Raw bytes have no command: their count says which chunk it was.
  summary: (request) => `${request.bytes.length} bytes`,
});
