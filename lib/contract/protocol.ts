// The protocol plugin contract: bytes in, messages out, and a convincing failure.
// A framer never rewrites bytes: concatenating the messages' `bytes` gives back its input.
import type { Logger } from '../log.js';
import type { Rng } from '../rng.js';
import type { Direction, Message, MessageInfo } from './message.js';
import type { OptionTable, OptionValues } from './options.js';

/**
 * Turns one direction's byte stream into messages; one per direction per connection. Made per
 * connection, so no generator methods in an object literal: each would be a new generator
 * function, which V8 gives a prototype and hidden class of its own (return arrays, or make the
 * framer a class whose generator methods exist once).
 */
export interface Framer {
  /**
   * Frames what a chunk completes. A message may be a view of `chunk`; keep no reference you
   * mutate. Raw pieces of the chunk are best returned as `ChunkPieces`, and messages that are
   * mostly ranges of it as `ChunkRanges` (the proxy writes those of dummy exchanges without
   * making them).
   */
  push(chunk: Buffer): Iterable<Message>;
  /** End of stream: whatever is left (a partial message) still goes through, as it came. */
  end(): Iterable<Message>;
}

/** A request the proxy forwarded to the backend and whose response has not started yet. */
export interface ForwardedRequest {
  readonly exchange: number;
  readonly info: MessageInfo | undefined;
}

/** How an exchange is opened (see `FramerContext.openExchange`). */
export interface ExchangeOpening {
  /** The side whose framer opens it: `response` when the server speaks first (a greeting). Default `request`. */
  readonly opener?: Direction;
  /**
   * Part of the connection's handshake (a greeting, a login, a start-up): it gets no behavior
   * unless the protocol's `handshake` option is true, so `100:error` fails queries, not logins.
   */
  readonly handshake?: boolean;
}

/** How a response framer opens the exchange of a server that speaks first (a greeting). */
export const GREETING: ExchangeOpening = Object.freeze({ opener: 'response' });

/**
 * A protocol's switch to TLS inside the connection, as the framer that saw it tells it: MySQL's
 * SSL request (the client switches after it), PostgreSQL's `S` and SMTP's `220` to STARTTLS
 * (both peers switch after it).
 * @example { direction: 'response', exchange: 2, rest: [] } // PostgreSQL's `S` answering exchange 2
 */
export interface TlsSwitch {
  /** The direction whose framer saw the switch: its message is the last one before TLS. */
  readonly direction: Direction;
  /** The exchange whose side that message completes (not 0): the other peer switches once it is written. */
  readonly exchange: number;
  /** The bytes the framer was given past that message: the peer's first TLS bytes, not to be framed. */
  readonly rest: readonly Buffer[];
}

/** What the framers of a connection can ask of it. One context serves both framers. */
export interface FramerContext {
  /**
   * Opens the next exchange and returns its number. The request framer calls it at each new
   * request; the response framer calls it, with `{ opener: 'response' }`, when the server
   * speaks first (a greeting).
   */
  openExchange(opening?: ExchangeOpening): number;
  /**
   * For `ordered` protocols: the oldest forwarded request whose response has not started, so
   * a response framer can tell which exchange a response answers (and that it answers a HEAD).
   * `undefined` when the backend speaks unasked.
   */
  nextForwarded(): ForwardedRequest | undefined;
  /** The newest exchange opened so far (0 if none): `latest` protocols pair backend bytes with it. */
  readonly latestExchange: number;
  /** For one line about malformed data; a framer never throws on bad input. */
  readonly log: Logger;
  /**
   * The protocol switches to TLS right after the message the framer is about to give out (call
   * it before that message leaves the framer). True: vaurien terminates that TLS on both sides,
   * `rest` goes to the TLS layer, and the framers go on framing the decrypted streams (the
   * framer that called drops what it held of the plaintext stream). False, or absent (a
   * hand-made context): the framer passes the rest of the connection through raw, as before.
   */
  startTls?(tlsSwitch: TlsSwitch): boolean;
}

/**
 * How responses are paired with requests:
 * - `ordered`: each request gets one response, in order (HTTP/1.1, Redis, memcache, SMTP, MySQL);
 *   injected error replies wait for their turn so pipelined clients never see answers swapped.
 * - `latest`: no structure (tcp); backend bytes belong to the newest exchange.
 */
export type Pairing = 'ordered' | 'latest';

/** An error answer of a protocol, and whether the connection must close after it. */
export interface ErrorReply {
  readonly bytes: Buffer;
  readonly close: boolean;
}

/**
 * The two framers of one connection. They are made together, so state one side learns and the
 * other needs (a protocol switch, a session's phase) lives in the closure that made them.
 */
export interface FramerPair {
  /** Frames the client's bytes. */
  readonly request: Framer;
  /** Frames the backend's bytes. */
  readonly response: Framer;
  /**
   * With `reuse_socket`: whether the backend connection, between exchanges, holds nothing of
   * this client's session (no transaction, selected database, subscription, protocol switch…),
   * so another client may be given it. Absent: always. (Bytes passed through unframed make
   * any connection unfit, whatever this says.)
   */
  reusable?(): boolean;
}

/**
 * A protocol plugin.
 * @example
 * export const line = defineProtocol<LineOptions>({
 *   name: 'line', description: 'One request per line', options: {}, pairing: 'ordered',
 *   createFramers: (options, context) => ({ request: lineFramer('request', context), response: lineFramer('response', context) }),
 *   errorReply: () => ({ bytes: Buffer.from('ERROR\n'), close: false }),
 * });
 */
export interface ProtocolDefinition<O extends OptionValues = OptionValues> {
  readonly name: string;
  readonly description: string;
  readonly options: OptionTable<O>;
  readonly pairing: Pairing;
  /** The server speaks first (SMTP, MySQL): an unavailable backend is reported at once, not after a request. */
  readonly serverFirst?: boolean;
  /**
   * The protocol can switch a connection to TLS inside it (STARTTLS, an SSL request), and its
   * framers call `context.startTls` there. With TLS on both sides, vaurien then takes clients that
   * start in plaintext as well as those that start with TLS, and terminates the switch.
   */
  readonly switchesToTls?: boolean;
  /** Both framers of a new connection. Framing must not depend on which behaviors are drawn. */
  createFramers(options: O, context: FramerContext): FramerPair;
  /** A well-formed error of this protocol answering `request` (undefined: no request seen). */
  errorReply(request: Message | undefined, rng: Rng): ErrorReply;
  /** The `error` behavior's `inject`: random bytes inside a reply. Absent: inject is ignored (http). */
  corrupt?(message: Message, rng: Rng): Message;
  /** What the client gets when the backend cannot be reached. Absent: the connection is just closed. */
  unavailableReply?(request: Message | undefined): ErrorReply;
  /**
   * A short summary of a request for the fault log, from its first message: `GET /users`,
   * `SET`, `COM_QUERY SELECT 1`. Absent: made from the message's `info` (its `command`).
   * Called only for exchanges the fault log records; keep it short (it is cut at 160 characters).
   * @example summary: (request) => String(request.info?.['verb'] ?? '')
   */
  summary?(request: Message): string;
}

/** Identity helper that checks a protocol definition against its option type. */
export function defineProtocol<O extends OptionValues>(definition: ProtocolDefinition<O>): ProtocolDefinition<O> {
  return definition;
}
