// The client → server side of PostgreSQL. The start-up (SSLRequest, GSSENCRequest,
// StartupMessage) and each authentication answer (`p`) are handshake exchanges. Then a Query
// (`Q`) or FunctionCall (`F`) is an exchange; extended-protocol messages (Parse, Bind, Describe,
// Execute, Close, Flush) up to their Sync are one exchange; CopyData/CopyDone/CopyFail sent for
// a COPY the server started belong to that query's exchange (and after an extended COPY, what
// runs up to the next Sync too, as the server answers it all with one ReadyForQuery).
// A CancelRequest connection passes through raw.
import type { Message, MessageInfo } from '../../../lib/contract/message.js';
import type { FramerContext } from '../../../lib/contract/protocol.js';
import { HANDSHAKE } from './handshake-openings.js';
import type { MessageSide } from './postgres-framer.js';
import { printable, type MessagePiece, type Shape } from './postgres-messages.js';
import { boundQuery, noteClose, noteParse, queryText, startupParameters } from './postgres-statements.js';
import {
  CANCEL_REQUEST,
  GSSENC_REQUEST,
  GSSENC_REQUEST_COMMAND,
  PASSWORD_COMMAND,
  PROTOCOL_MAJOR,
  SSL_REQUEST,
  SSL_REQUEST_COMMAND,
  STARTUP_MESSAGE,
  type CopyIn,
  type PostgresSession,
} from './postgres-session.js';

/** The message whose pieces are going by: where it goes and whether it opens or closes its exchange's side. */
interface Current {
  readonly exchange: number;
  readonly info: MessageInfo | undefined;
  readonly opens: boolean;
  readonly closes: boolean;
  readonly noReply: boolean;
}

/** An extended-protocol exchange whose Sync has not come yet. */
interface Open {
  readonly exchange: number;
  readonly info: MessageInfo;
  /** Reopened after an extended COPY: its side was complete already, so it neither opens nor closes again. */
  readonly reopened: boolean;
}

const OUTSIDE: Current = Object.freeze({ exchange: 0, info: undefined, opens: true, closes: true, noReply: false });

/** Frontend message types (protocol 3.0). */
const Q = 0x51;
const F = 0x46;
const P = 0x50;
const B = 0x42;
const D = 0x44;
const E = 0x45;
const C = 0x43;
const H = 0x48;
const S = 0x53;
const COPY_DATA = 0x64;
const COPY_DONE = 0x63;
const COPY_FAIL = 0x66;
const X = 0x58;
const PASSWORD = 0x70;

/** `Q`, `P`… as `info.command`, made once. */
const LETTERS: readonly string[] = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code));

/** 1 for each frontend type byte: a table, read once per message. */
const FRONTEND_TYPES = new Uint8Array(256);
for (const type of [Q, F, P, B, D, E, C, H, S, COPY_DATA, COPY_DONE, COPY_FAIL, X, PASSWORD]) FRONTEND_TYPES[type] = 1;

export function createPostgresRequestSide(context: FramerContext, session: PostgresSession): MessageSide {
  /** The next message is an untyped start-up packet. */
  let startup = true;
  let current: Current = OUTSIDE;
  let open: Open | undefined;
  /** The exchange whose side is half framed (its first message out, its last not). */
  let halfFramed: number | undefined;

  /** Info of a request that opens an exchange: what it runs, and what an error reply must repeat. */
  function requestInfo(command: number, query: string | undefined, extended: boolean): MessageInfo {
    const letter = LETTERS[command] as string;
    const { transaction, sqlstate } = session;
    // `awaitsAnswer`: a client may wait at a Flush for what it sent so far (a cursor reading
    // rows in batches); an error reply must not wait for a Sync that would never come.
    if (extended) return query === undefined ? { command: letter, transaction, sqlstate, awaitsAnswer: true } : { command: letter, query, transaction, sqlstate, awaitsAnswer: true };
    return query === undefined ? { command: letter, transaction, sqlstate } : { command: letter, query, transaction, sqlstate };
  }

  function handshake(info: MessageInfo): Current {
    return { exchange: context.openExchange(HANDSHAKE), info, opens: true, closes: true, noReply: false };
  }

  /** `bytes` is the packet's first piece: its length, the code, then the parameters (`bodyBytes` after the length). */
  function classifyStartup(bytes: Buffer, bodyBytes: number): Current | string {
    const code = bytes.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      if (bodyBytes !== 4) return `${code === SSL_REQUEST ? SSL_REQUEST_COMMAND : GSSENC_REQUEST_COMMAND} of ${bodyBytes + 4} bytes`;
      // The answer (a byte) decides what comes next: TLS (raw, decided by the response side) or another start-up packet.
      return handshake({ command: code === SSL_REQUEST ? SSL_REQUEST_COMMAND : GSSENC_REQUEST_COMMAND, sqlstate: session.sqlstate });
    }
    if (code === CANCEL_REQUEST) {
      context.log.debug('postgres: a CancelRequest connection; passing it through unchanged');
      session.raw = true;
      return OUTSIDE;
    }
    if (code >>> 16 !== PROTOCOL_MAJOR) return `start-up packet with code ${code}`;
    startup = false;
    return handshake({ command: STARTUP_MESSAGE, ...startupParameters(bytes, 4), sqlstate: session.sqlstate });
  }

  /** A message of the extended protocol (its body at `at`): joins the open exchange, or opens one. */
  function extended(type: number, bytes: Buffer, at: number): Current {
    let query: string | undefined;
    if (type === P) query = noteParse(session.statements, bytes, at);
    else if (type === C) noteClose(session.statements, bytes, at);
    if (open !== undefined) return { exchange: open.exchange, info: open.info, opens: false, closes: false, noReply: false };
    if (type === B) query = boundQuery(session.statements, bytes, at);
    const info = requestInfo(type, query, true);
    open = { exchange: context.openExchange(), info, reopened: false };
    return { exchange: open.exchange, info, opens: true, closes: false, noReply: false };
  }

  /** Sync, Query or FunctionCall (its body at `at`): each ends with one ReadyForQuery, so each closes the open exchange or is one. */
  function closing(type: number, bytes: Buffer, at: number): Current {
    if (open !== undefined) {
      const joined = open;
      open = undefined;
      return { exchange: joined.exchange, info: joined.info, opens: false, closes: !joined.reopened, noReply: false };
    }
    const info = requestInfo(type, type === Q ? queryText(bytes, at) : undefined, false);
    return { exchange: context.openExchange(), info, opens: true, closes: true, noReply: false };
  }

  /**
   * CopyData, CopyDone, CopyFail: part of the COPY the server started, else ignored by the server
   * (outside exchanges). Flush and Sync during a COPY are ignored by the server too: they join it.
   */
  function copy(type: number): Current {
    const started = session.copy as CopyIn;
    if (type === COPY_DONE || type === COPY_FAIL) {
      session.copy = undefined;
      // After an extended COPY the server answers ReadyForQuery at the next Sync: what comes up to it is still this query's.
      if (started.extended) open = { exchange: started.exchange, info: started.info ?? {}, reopened: true };
    }
    return { exchange: started.exchange, info: started.info, opens: false, closes: false, noReply: false };
  }

  function classify(piece: MessagePiece): Current | string {
    const { bytes, headerBytes: at, type } = piece;
    if (startup) return classifyStartup(bytes, bytes.readInt32BE(0) - 4);
    if (type === COPY_DATA || type === COPY_DONE || type === COPY_FAIL) return session.copy === undefined ? OUTSIDE : copy(type);
    if (session.copy !== undefined && (type === H || type === S)) return copy(type);
    // Anything else means the client is done with a COPY (or never was in one).
    session.copy = undefined;
    switch (type) {
      case Q:
      case F:
      case S:
        return closing(type, bytes, at);
      case P:
      case B:
      case D:
      case E:
      case C:
      case H:
        return extended(type, bytes, at);
      case X:
        return { exchange: context.openExchange(), info: { command: 'X' }, opens: true, closes: true, noReply: true };
      case PASSWORD:
        return handshake({ command: PASSWORD_COMMAND, sqlstate: session.sqlstate });
      default:
        return `unknown message type ${printable(type)}`; // not reached: the reader refuses unknown types
    }
  }

  return {
    knows: (type) => FRONTEND_TYPES[type] === 1,
    shapeOfNext: (): Shape => (startup ? 'startup' : 'typed'),
    message(piece): Message | string {
      if (piece.start) {
        // The stream ended inside a message never classified: its bytes go as they are.
        if (piece.truncated) return { bytes: piece.bytes, direction: 'request', exchange: 0, first: true, last: true };
        const next = classify(piece);
        if (typeof next === 'string') return next;
        current = next;
      }
      const { exchange, info } = current;
      const first = piece.start && current.opens;
      const last = piece.end && !piece.truncated && current.closes;
      if (exchange !== 0) {
        if (first) halfFramed = exchange;
        if (last) halfFramed = undefined;
      }
      const { bytes } = piece;
      if (current.noReply) return { bytes, direction: 'request', exchange, first, last, noReply: true, ...(info === undefined ? {} : { info }) };
      return info === undefined ? { bytes, direction: 'request', exchange, first, last } : { bytes, direction: 'request', exchange, first, last, info };
    },
    openExchange: () => halfFramed,
  };
}
