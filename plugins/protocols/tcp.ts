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
    // Pieces whose exchange is dummy go out merged (one message, not one per `buffer` bytes):
    // nobody looks inside them, and cutting a 64 KiB chunk in 32 costs more than the copy.
    const passes = (exchange: number): boolean => context.isPassThrough?.(exchange) === true;
    if (direction === 'request') {
      // Each piece opens its exchange when it is reached, not before: a `latest` exchange is
      // forgotten LATEST_WINDOW exchanges later, so a chunk of many pieces stays lazy.
      function* pieces(chunk: Buffer): Generator<Message> {
        let runStart = -1; // start of the pending run of pass-through pieces
        let runExchange = 0;
        for (let start = 0; start < chunk.length; start += size) {
          const exchange = context.openExchange();
          if (passes(exchange)) {
            if (runStart === -1) {
              runStart = start;
              runExchange = exchange;
            }
            continue;
          }
          if (runStart !== -1) {
            yield { bytes: chunk.subarray(runStart, start), direction, exchange: runExchange, first: true, last: true };
            runStart = -1;
          }
          yield { bytes: chunk.subarray(start, start + size), direction, exchange, first: true, last: true };
        }
        if (runStart !== -1) yield { bytes: runStart === 0 ? chunk : chunk.subarray(runStart), direction, exchange: runExchange, first: true, last: true };
      }
      return {
        push(chunk): Iterable<Message> {
          // One piece (the usual case): an array, cheaper than a generator.
          if (chunk.length > size) return pieces(chunk);
          return [{ bytes: chunk, direction, exchange: context.openExchange(), first: true, last: true }];
        },
        end: () => [],
      };
    }
    let answered = 0; // the exchange whose first response chunk has gone by
    return {
      push(chunk): Message[] {
        // Bytes before any request: the server speaks first, which opens an exchange.
        const exchange = context.latestExchange === 0 ? context.openExchange() : context.latestExchange;
        const first = exchange !== answered;
        answered = exchange;
        // `last` stays false: a tcp response never says it is complete.
        if (passes(exchange)) return [{ bytes: chunk, direction, exchange, first, last: false }];
        const out: Message[] = [];
        for (let start = 0; start < chunk.length; start += size) {
          out.push({ bytes: chunk.subarray(start, start + size), direction, exchange, first: first && start === 0, last: false });
        }
        return out;
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
