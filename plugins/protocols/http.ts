// HTTP/1.1: a request (or response) head is one message carrying `{ method, target }` (or
// `{ status }`); its body follows in slices of at most `buffer` bytes. Responses pair with
// requests in order (keep-alive, pipelining, 100 Continue); after a 101 or a CONNECT tunnel
// both directions pass through raw. `error` answers a random 501/502/503 and closes.
import { defineProtocol, type Framer, type FramerContext, type FramerPair } from '../../lib/contract/protocol.js';
import { clip, QUERY_MAX } from '../../lib/faults/request-summary.js';
import type { OptionTable } from '../../lib/contract/options.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';
import { ERROR_STATUSES, httpErrorPage } from './framing/http-error-page.js';
import { createHttpRequestFramer } from './framing/http-request-framer.js';
import { createHttpResponseFramer } from './framing/http-response-framer.js';
import type { HttpUpgradeState } from './framing/http-upgrade-state.js';

export type HttpOptions = ConnectionOptions;

// Vaurien's options, with what each means here. keep_alive and reuse_socket are accepted so
// existing command lines and config files keep working: the client's own keep-alive is
// honoured as it is, and each client connection always has a backend connection of its own.
const httpOptions: OptionTable<HttpOptions> = {
  ...connectionOptions,
  buffer: { ...connectionOptions.buffer, description: 'Buffer size: the most body bytes one message carries (a bigger body streams as several)' },
  keep_alive: { ...connectionOptions.keep_alive, description: "Keep the connection alive (accepted for compatibility: the client's own keep-alive is honoured)" },
  reuse_socket: {
    ...connectionOptions.reuse_socket,
    description: 'If True, the socket is reused (accepted for compatibility: each client connection has its own backend connection)',
  },
};

/** A connection's two HTTP framers and the upgrade state they share (one object, no closure). */
class HttpFramers implements FramerPair, HttpUpgradeState {
  switched = false;
  finalAnswered = 0;
  switchAsked = false;
  readonly request: Framer;
  readonly response: Framer;

  constructor(bufferBytes: number, context: FramerContext) {
    this.request = createHttpRequestFramer(bufferBytes, context, this);
    this.response = createHttpResponseFramer(bufferBytes, context, this);
  }

  /** A connection that was asked to switch protocols stays its client's. */
  reusable(): boolean {
    return !this.switchAsked && !this.switched;
  }
}

export const http = defineProtocol<HttpOptions>({
  name: 'http',
  description: 'HTTP/1.1: requests and responses framed by head and body, keep-alive and pipelining followed, errors are 501/502/503 pages',
  options: httpOptions,
  pairing: 'ordered',
  createFramers: (options, context) => new HttpFramers(options.buffer, context),
  // No `corrupt`: as in the original, `inject` is ignored for http and `error` answers a 50x.
  errorReply: (request, rng) => ({ bytes: httpErrorPage(rng.pick(ERROR_STATUSES), request?.info?.['method'] === 'HEAD'), close: true }),
  unavailableReply: (request) => ({ bytes: httpErrorPage(502, request?.info?.['method'] === 'HEAD'), close: true }),
  // `GET /users?id=3`: the method and the target as the client wrote it.
  summary: (request) => `${String(request.info?.['method'] ?? '')} ${clip(String(request.info?.['target'] ?? ''), QUERY_MAX)}`,
});
