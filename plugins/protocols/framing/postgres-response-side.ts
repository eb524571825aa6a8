// The server → client side of PostgreSQL. Every answer belongs to the oldest forwarded request
// (`nextForwarded`) and runs to its ReadyForQuery; an answer to a start-up or authentication
// request ends sooner, at an authentication request the client must answer or at an error
// (after which the server closes); an SSLRequest is answered by one byte (`S`: TLS follows,
// terminated or raw; `N`: the start-up goes on). NotificationResponse and ParameterStatus
// between answers, and anything the server sends unasked, are outside exchanges (exchange 0).
import type { Message } from '../../../lib/contract/message.js';
import type { FramerContext, ForwardedRequest } from '../../../lib/contract/protocol.js';
import type { MessageSide } from './postgres-framer.js';
import type { MessagePiece, Shape } from './postgres-messages.js';
import { GSSENC_REQUEST_COMMAND, HANDSHAKE_COMMANDS, SSL_REQUEST_COMMAND, type PostgresSession } from './postgres-session.js';

/** The answer under way. */
interface Answering {
  readonly exchange: number;
  /** It answers a start-up or authentication request (ends at an auth request or an error, too). */
  readonly handshake: boolean;
  readonly request: ForwardedRequest;
}

/** The message whose pieces are going by. */
interface Current {
  readonly exchange: number;
  readonly opens: boolean;
  readonly closes: boolean;
}

const OUTSIDE: Current = Object.freeze({ exchange: 0, opens: true, closes: true });

/** Backend message types (protocol 3.0). */
const AUTHENTICATION = 0x52; // R
const ERROR = 0x45; // E
const READY_FOR_QUERY = 0x5a; // Z
const PARAMETER_STATUS = 0x53; // S
const NOTIFICATION = 0x41; // A
const COPY_IN = 0x47; // G
const COPY_BOTH = 0x57; // W
/** 1 for each backend type byte: a table, read once per message. */
const BACKEND_TYPES = new Uint8Array(256);
for (const letter of 'RKSZENATDCI123tnsGHWdcVv') BACKEND_TYPES[letter.charCodeAt(0)] = 1;
/** Answer bytes to an SSLRequest or GSSENCRequest that turn the connection encrypted. */
const ACCEPTED_TLS = 0x53; // S
const ACCEPTED_GSS = 0x47; // G
/** AuthenticationOk and AuthenticationSASLFinal: the server goes on without waiting for the client. */
const AUTH_OK = 0;
const AUTH_SASL_FINAL = 12;

const isTransactionStatus = (byte: number | undefined): byte is 0x49 | 0x54 | 0x45 => byte === 0x49 || byte === 0x54 || byte === 0x45;

export function createPostgresResponseSide(context: FramerContext, session: PostgresSession): MessageSide {
  /** The oldest forwarded request whose answer has not begun (taken early to see what it is; kept until it begins). */
  let upcoming: ForwardedRequest | undefined;
  let answering: Answering | undefined;
  let current: Current = OUTSIDE;
  let halfFramed: number | undefined;

  const pending = (): ForwardedRequest | undefined => (upcoming ??= context.nextForwarded());
  const commandOf = (request: ForwardedRequest | undefined): unknown => request?.info?.['command'];

  /** The byte that answers an SSLRequest or GSSENCRequest. */
  function answerByte(type: number): Current {
    const request = upcoming as ForwardedRequest; // shapeOfNext saw it
    upcoming = undefined;
    // TLS: the framer asks the engine to terminate it (or passes the rest raw, as for GSS).
    if (type === ACCEPTED_TLS && session.tls === 'plain') session.tls = 'accepted';
    else if (type === ACCEPTED_TLS || type === ACCEPTED_GSS) {
      context.log.info(`postgres: the server accepted ${type === ACCEPTED_TLS ? 'TLS' : 'GSSAPI encryption'}; passing the rest of the connection through unchanged`);
      session.raw = true;
    }
    return { exchange: request.exchange, opens: true, closes: true };
  }

  function classify(piece: MessagePiece): Current {
    const { type } = piece;
    if (piece.headerBytes === 1) return answerByte(type);
    let opens = false;
    if (answering === undefined) {
      // Between answers: notifications and parameter changes are the server's own news.
      if (type === NOTIFICATION || type === PARAMETER_STATUS) return OUTSIDE;
      const request = pending();
      // Nothing asked: a notice or a FATAL error before the server closes (shutdown, terminated backend).
      if (request === undefined) return OUTSIDE;
      upcoming = undefined;
      const command = commandOf(request);
      answering = { exchange: request.exchange, handshake: typeof command === 'string' && HANDSHAKE_COMMANDS.has(command), request };
      opens = true;
    }
    const { exchange } = answering;
    const body = piece.bytes;
    let closes = false;
    if (type === READY_FOR_QUERY) {
      closes = true;
      const status = body[5];
      if (isTransactionStatus(status)) session.transaction = status === 0x49 ? 'I' : status === 0x54 ? 'T' : 'E';
    } else if (answering.handshake) {
      // The server waits for the client's next authentication message, or has given up (and closes).
      if (type === ERROR) closes = true;
      else if (type === AUTHENTICATION && body.length >= 9) {
        const code = body.readInt32BE(5);
        closes = code !== AUTH_OK && code !== AUTH_SASL_FINAL;
      }
    } else if (type === COPY_IN || type === COPY_BOTH) {
      const command = commandOf(answering.request);
      session.copy = { exchange, info: answering.request.info, extended: command !== 'Q' && command !== 'F' };
    }
    if (closes) answering = undefined;
    return { exchange, opens, closes };
  }

  return {
    knows: (type) => BACKEND_TYPES[type] === 1,
    shapeOfNext(): Shape {
      if (answering !== undefined) return 'typed';
      const command = commandOf(pending());
      return command === SSL_REQUEST_COMMAND || command === GSSENC_REQUEST_COMMAND ? 'answer-byte' : 'typed';
    },
    message(piece): Message {
      if (piece.start) {
        // The stream ended inside a message never classified: it goes as it is, with its answer.
        if (piece.truncated) return { bytes: piece.bytes, direction: 'response', exchange: answering?.exchange ?? 0, first: false, last: false };
        current = classify(piece);
      }
      const { exchange } = current;
      const first = piece.start && current.opens;
      const last = piece.end && !piece.truncated && current.closes;
      if (exchange !== 0) {
        if (first) halfFramed = exchange;
        if (last) halfFramed = undefined;
      }
      return { bytes: piece.bytes, direction: 'response', exchange, first, last };
    },
    openExchange: () => halfFramed,
    settle() {
      const waiting: number[] = [];
      for (let request = upcoming ?? context.nextForwarded(); request !== undefined; request = context.nextForwarded()) waiting.push(request.exchange);
      upcoming = undefined;
      return waiting;
    },
  };
}
