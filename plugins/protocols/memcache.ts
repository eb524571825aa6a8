// The memcached text protocol (classic and meta commands), answers paired in order. An error
// is `SERVER_ERROR`, a complete answer for any command (a retrieval's too), so the client sees
// a real failure and its connection stays in step; a binary-protocol client passes through raw.
import type { Message } from '../../lib/contract/message.js';
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';
import { contentEnd } from './framing/memcache-commands.js';
import { createMemcacheRequestFramer } from './framing/memcache-request.js';
import { createMemcacheResponseFramer } from './framing/memcache-response.js';
import { newMemcacheShared } from './framing/memcache-pairing.js';

export type MemcacheOptions = ConnectionOptions;

const SERVER_ERROR = Buffer.from('SERVER_ERROR vaurien injected error\r\n');
const NOTHING = Buffer.alloc(0);
/** Random bytes `inject` puts inside an answer (Vaurien's amount). */
const INJECTED_BYTES = 100;
const CR = 0x0d;
const LF = 0x0a;

export const memcache = defineProtocol<MemcacheOptions>({
  name: 'memcache',
  description: 'Memcache protocol: text commands (classic and meta) paired with their answers; binary connections pass raw',
  options: connectionOptions,
  pairing: 'ordered',
  createFramers(options, context) {
    const state = newMemcacheShared();
    return { request: createMemcacheRequestFramer(context, state, options.buffer), response: createMemcacheResponseFramer(context, state, options.buffer) };
  },
  errorReply(request) {
    const info = request?.info;
    // `quit` expects the connection to close: the error closes it too, as a severe server error does.
    if (info?.['command'] === 'quit') return { bytes: SERVER_ERROR, close: true };
    // `noreply` silences even errors in memcached: an error line would be read as the next answer.
    // A quiet (q) meta command does get its errors, so it is answered.
    if (request?.noReply === true && info?.['quiet'] !== true) return { bytes: NOTHING, close: false };
    return { bytes: SERVER_ERROR, close: false };
  },
  corrupt(message, rng): Message {
    const { bytes } = message;
    if (bytes.length === 0) return message; // a silence (see memcache-pairing) has no inside
    // Inside the line, never in its CRLF, and no CR/LF among the random bytes: the client reads
    // one garbled answer, and the answers after it stay where it expects them.
    const middle = contentEnd(bytes) >> 1;
    const noise = rng.bytes(INJECTED_BYTES);
    for (let at = 0; at < noise.length; at++) if (noise[at] === CR || noise[at] === LF) noise[at] = 0x3f; // '?'
    return { ...message, bytes: Buffer.concat([bytes.subarray(0, middle), noise, bytes.subarray(middle)]) };
  },
  // The command (`get`, `set`, `mg`), without keys or data.
  summary: (request) => String(request.info?.['command'] ?? `${request.bytes.length} bytes`),
});
