// Redis (RESP2 and RESP3): one message per command and per reply (several for big values, which
// stream), replies paired with commands in order, pushes outside any exchange (exchange 0); a
// k-channel (un)subscribe is one exchange answered by k confirmations (see resp-response-side).
// Errors are real `-ERR` replies; `inject` puts random bytes inside a reply.
// CLIENT REPLY OFF/SKIP is followed (the commands it silences await no answer). Not followed:
// commands sent while in MONITOR mode (monitor lines pair with them).
import type { Message } from '../../lib/contract/message.js';
import { defineProtocol, type Framer, type FramerContext, type FramerPair } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';
import { createRespFramer } from './framing/resp-framer.js';
import { createRespRequestSide, type RedisSession } from './framing/resp-request-side.js';
import { createRespResponseSide } from './framing/resp-response-side.js';

/** What a client gets for `error`: a simple error, which RESP2 and RESP3 clients both read. */
const ERROR_REPLY = '-ERR vaurien injected error\r\n';
const NO_ANSWER = Buffer.alloc(0);
/** Random bytes `inject` puts in the middle of a reply (as Vaurien did). */
const INJECTED_BYTES = 100;

/** A connection's two RESP framers, and what its commands left on the session (one object, no closure). */
class RespFramers implements FramerPair, RedisSession {
  bound = false;
  readonly request: Framer;
  readonly response: Framer;

  constructor(context: FramerContext) {
    this.request = createRespFramer('request', context, createRespRequestSide(context, this));
    this.response = createRespFramer('response', context, createRespResponseSide(context));
  }

  /** After MULTI, SELECT, SUBSCRIBE, CLIENT, AUTH… the connection keeps this client's state. */
  reusable(): boolean {
    return !this.bound;
  }
}

export const redis = defineProtocol<ConnectionOptions>({
  name: 'redis',
  description: 'Redis protocol (RESP2 and RESP3)',
  // `buffer` is Vaurien's read size, kept for compatibility: messages follow the socket's chunks.
  options: connectionOptions,
  pairing: 'ordered',
  createFramers: (_options, context) => new RespFramers(context),
  // A command redis would not answer (CLIENT REPLY OFF) gets no error either: the client reads none.
  errorReply: (request) => ({ bytes: request?.noReply === true ? NO_ANSWER : Buffer.from(ERROR_REPLY), close: false }),
  corrupt(message, rng): Message {
    const middle = message.bytes.length >> 1;
    const bytes = Buffer.concat([message.bytes.subarray(0, middle), rng.bytes(INJECTED_BYTES), message.bytes.subarray(middle)]);
    return { ...message, bytes };
  },
  // The command's name, never its arguments (keys and values may be anyone's data).
  summary: (request) => String(request.info?.['command'] ?? 'inline'),
});
