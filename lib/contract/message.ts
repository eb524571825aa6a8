// A message is one framed unit of a stream: an HTTP request head, a Redis reply, a memcache
// data block, a tcp chunk. Framing never rewrites bytes: concatenating the `bytes` of the
// messages of a direction gives back exactly what came in, whatever the chunking.

/** `request` is client → backend, `response` is backend → client. */
export type Direction = 'request' | 'response';

/**
 * Extra facts a framer learned about a message, e.g. `{ command: 'GET' }`, `{ method: 'HEAD' }`.
 * One key is shared by all protocols: `awaitsAnswer: true` on a request's first message means
 * the client waits for an answer before sending the rest (HTTP `Expect: 100-continue`), so a
 * behavior that answers instead of the backend answers at once.
 */
export type MessageInfo = Readonly<Record<string, string | number | boolean>>;

/**
 * One framed unit of traffic.
 * @example
 * { bytes: Buffer.from('PING\r\n'), direction: 'request', exchange: 3, first: true, last: true, info: { command: 'PING' } }
 */
export interface Message {
  /** Exact wire bytes, a view of the chunk they came in when possible. */
  readonly bytes: Buffer;
  readonly direction: Direction;
  /**
   * The exchange (a request and the response that answers it) this message belongs to:
   * 1, 2, 3… on a connection. 0 means "outside any exchange" (a pub/sub push, bytes after a
   * protocol switch): such messages are always forwarded unchanged.
   */
  readonly exchange: number;
  /** First message of its side of the exchange. */
  readonly first: boolean;
  /** Completes its side of the exchange (for a response: the answer is whole). */
  readonly last: boolean;
  /** A request that gets no response (memcache `noreply`): no response slot is kept for it. */
  readonly noReply?: boolean;
  readonly info?: MessageInfo;
}
