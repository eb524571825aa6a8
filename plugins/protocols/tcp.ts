// Raw TCP: a message is a chunk of at most `buffer` bytes, as Vaurien read them. Each client
// chunk is an exchange; backend bytes belong to the newest one (tcp has no pairing to follow).
import { defineProtocol } from '../../lib/contract/protocol.js';
import type { Message } from '../../lib/contract/message.js';
import { connectionOptions } from './framing/connection-options.js';

export type TcpOptions = { buffer: number; keep_alive: boolean; reuse_socket: boolean };

/** Vaurien's error for raw tcp: 1000 random bytes. */
const ERROR_BYTES = 1000;
/** Random bytes `inject` puts in the middle of a chunk. */
const INJECTED_BYTES = 100;

export const tcp = defineProtocol<TcpOptions>({
  name: 'tcp',
  description: 'TCP handler: passes raw chunks of at most `buffer` bytes',
  options: connectionOptions,
  pairing: 'latest',
  createFramer(direction, options, context) {
    const size = options.buffer;
    if (direction === 'request') {
      return {
        *push(chunk) {
          for (let start = 0; start < chunk.length; start += size) {
            const exchange = context.openExchange();
            yield { bytes: chunk.subarray(start, start + size), direction, exchange, first: true, last: true };
          }
        },
        end: () => [],
      };
    }
    let answered = 0; // the exchange whose first response chunk has gone by
    return {
      *push(chunk) {
        for (let start = 0; start < chunk.length; start += size) {
          // Bytes before any request: the server speaks first, which opens an exchange.
          const exchange = context.latestExchange === 0 ? context.openExchange() : context.latestExchange;
          const first = exchange !== answered;
          answered = exchange;
          // `last` stays false: a tcp response never says it is complete.
          yield { bytes: chunk.subarray(start, start + size), direction, exchange, first, last: false };
        }
      },
      end: () => [],
    };
  },
  errorReply: (_request, rng) => ({ bytes: rng.bytes(ERROR_BYTES), close: false }),
  corrupt(message, rng): Message {
    const middle = message.bytes.length >> 1;
    const bytes = Buffer.concat([message.bytes.subarray(0, middle), rng.bytes(INJECTED_BYTES), message.bytes.subarray(middle)]);
    return { ...message, bytes };
  },
});
