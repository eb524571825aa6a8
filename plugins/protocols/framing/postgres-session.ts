// What both directions of one PostgreSQL connection know about it: the transaction status the
// last ReadyForQuery reported (which an injected error reply must repeat), the COPY the server
// started (the client's CopyData then belongs to that query's exchange), the statements the
// client prepared (so a Bind can name its SQL), and whether the connection went raw or to TLS.
// The response side records what it learned before it yields the message that taught it: a
// client reacts to a message only once it has it, so the request side always finds the record.
import type { MessageInfo } from '../../../lib/contract/message.js';

/** Start-up packet codes (the Int32 after the length of an untyped message). */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
/** Protocol 3.x: the major version in the upper 16 bits of a StartupMessage's code. */
export const PROTOCOL_MAJOR = 3;

/** `command` of the untyped start-up messages; typed messages use their type letter (`Q`, `P`…). */
export const STARTUP_MESSAGE = 'StartupMessage';
export const SSL_REQUEST_COMMAND = 'SSLRequest';
export const GSSENC_REQUEST_COMMAND = 'GSSENCRequest';
/** The client's authentication answers (PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse). */
export const PASSWORD_COMMAND = 'p';

/** Requests of the connection's start-up and authentication: answered by a FATAL error, then the connection closes. */
export const HANDSHAKE_COMMANDS: ReadonlySet<string> = new Set([STARTUP_MESSAGE, SSL_REQUEST_COMMAND, GSSENC_REQUEST_COMMAND, PASSWORD_COMMAND]);

export type TransactionStatus = 'I' | 'T' | 'E';

/** A COPY the server started (CopyInResponse or CopyBothResponse): the client now sends data for it. */
export interface CopyIn {
  readonly exchange: number;
  /** The info of the request that started it, which its data messages carry too. */
  readonly info: MessageInfo | undefined;
  /** Started by an extended-protocol exchange: the server wants a Sync after CopyDone before it answers ReadyForQuery. */
  readonly extended: boolean;
}

export interface PostgresSession {
  /** From the last ReadyForQuery: idle, in a transaction block, or in a failed one. */
  transaction: TransactionStatus;
  copy: CopyIn | undefined;
  /** Prepared statement name ('' for the unnamed one) → the first characters of its SQL. */
  readonly statements: Map<string, string>;
  /** The protocol option `sqlstate`, stamped on each request for the error reply. */
  readonly sqlstate: string;
  /** Both directions pass bytes through unchanged from now on (TLS not terminated, GSS encryption, a cancel, malformed data). */
  raw: boolean;
  /**
   * TLS: `plain` so far; `accepted` by the server's `S`, for the framer to ask the engine (which
   * terminates it, or not: then raw); `secured` once terminated (the start-up goes on, over TLS).
   */
  tls: 'plain' | 'accepted' | 'secured';
  /** One warning per connection, whichever side saw the malformed data. */
  warned: boolean;
}

export function newPostgresSession(sqlstate: string): PostgresSession {
  return { transaction: 'I', copy: undefined, statements: new Map(), sqlstate, raw: false, tls: 'plain', warned: false };
}
