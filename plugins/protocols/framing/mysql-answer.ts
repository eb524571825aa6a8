// Follows one server answer packet by packet and says which packet ends it: an OK or ERR, the
// terminator of the last result set (SERVER_MORE_RESULTS_EXISTS chains the next one), the
// last definition of a prepared statement, the OK/ERR of a login. Binary rows start with 0x00
// like an OK packet: only the stage of the answer tells them apart.
import type { ResponseShape } from './mysql-commands.js';
import { HEADER_BYTES, MAX_PAYLOAD } from './mysql-packets.js';
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_OPTIONAL_RESULTSET_METADATA,
  MARIADB_CLIENT_CACHE_METADATA,
  MARIADB_CLIENT_PROGRESS,
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_STATUS_CURSOR_EXISTS,
  eofStatus,
  okStatus,
  readLengthEncoded,
  type MysqlSession,
} from './mysql-session.js';

type Stage =
  | 'first' // an OK, ERR, LOCAL INFILE request or column count
  | 'columns' // column definitions
  | 'columns-eof' // the EOF after them
  | 'rows' // rows up to the terminator
  | 'prepared' // COM_STMT_PREPARE's OK or ERR
  | 'params' // parameter definitions of a prepared statement
  | 'params-eof'
  | 'prepared-columns'
  | 'prepared-columns-eof'
  | 'fields' // COM_FIELD_LIST's column definitions up to EOF
  | 'single'
  | 'auth';

/** The answer being read: its stage and the definitions still to come. */
export interface Answer {
  stage: Stage;
  /** Definitions left in the current block. */
  left: number;
  /** Column definitions after a prepared statement's parameter definitions. */
  preparedColumns: number;
}

/** What a packet does to its answer: `more` follows, it is the `end`, or (a string) it makes no sense here. */
export type Step = 'more' | 'end' | string;

const INITIAL: Readonly<Record<Exclude<ResponseShape, 'none'>, Stage>> = {
  single: 'single',
  result: 'first',
  prepare: 'prepared',
  fields: 'fields',
  rows: 'rows',
  auth: 'auth',
};

const OK = 0x00;
const LOCAL_INFILE = 0xfb;
const EOF = 0xfe;
const ERR = 0xff;
/** MariaDB progress reports are ERR packets with this code; the answer goes on after them. */
const PROGRESS_CODE = 0xffff;
/** More columns than MySQL (4096) or MariaDB allow: the count is not a count. */
const MAX_COLUMNS = 0xffff;

export function startAnswer(shape: Exclude<ResponseShape, 'none'>): Answer {
  return { stage: INITIAL[shape], left: 0, preparedColumns: 0 };
}

/**
 * Reads the packet that comes next in `answer`. `piece` is the packet's first piece: its header
 * and at least CLASSIFY_BYTES payload bytes (all of them when shorter); `length` is the payload's
 * full length. Rows and definitions are told by their first byte alone: no view is made of them.
 */
export function stepAnswer(answer: Answer, piece: Buffer, length: number, session: MysqlSession): Step {
  const kind = piece[HEADER_BYTES];
  const deprecateEof = (session.capabilities & CLIENT_DEPRECATE_EOF) !== 0;
  // An EOF (or its OK replacement) is short; a text row can start with 0xFE only when huge.
  const isTerminator = kind === EOF && length < MAX_PAYLOAD && (deprecateEof || length < 9);
  switch (answer.stage) {
    case 'single':
      return 'end';
    case 'auth':
      // OK or ERR end the login. 0x01 0x03 is caching_sha2's "fast auth done": its OK follows at once.
      if (kind === OK || kind === ERR) return 'end';
      if (kind === 0x01 && length === 2 && piece[HEADER_BYTES + 1] === 0x03) return 'more';
      // An auth switch (0xFE) or more auth data: the client answers next.
      session.authContinues = true;
      return 'end';
    case 'first':
      return firstOfResult(answer, payloadOf(piece), length, session, deprecateEof);
    case 'columns':
      if (--answer.left === 0) answer.stage = deprecateEof ? 'rows' : 'columns-eof';
      return 'more';
    case 'columns-eof': {
      if (kind === ERR) return 'end';
      if (!isTerminator) return `expected the EOF after the column definitions, got 0x${hex(kind)}`;
      const status = eofStatus(payloadOf(piece));
      // A cursor was opened (COM_STMT_EXECUTE): rows come later, through COM_STMT_FETCH.
      if ((status & SERVER_STATUS_CURSOR_EXISTS) !== 0) return nextResult(answer, status);
      answer.stage = 'rows';
      return 'more';
    }
    case 'rows':
      if (kind === ERR) return 'end';
      if (!isTerminator) return 'more';
      return nextResult(answer, deprecateEof ? okStatus(payloadOf(piece), session.capabilities) : eofStatus(payloadOf(piece)));
    case 'prepared': {
      if (kind === ERR) return 'end';
      if (kind !== OK || length < 9 || piece.length < HEADER_BYTES + 9) return `unexpected answer to COM_STMT_PREPARE (0x${hex(kind)}, ${length} bytes)`;
      const columns = piece.readUInt16LE(HEADER_BYTES + 5);
      const params = piece.readUInt16LE(HEADER_BYTES + 7);
      // MySQL's optional metadata: a 13th byte 0 (RESULTSET_METADATA_NONE) means no definitions, nor their EOFs.
      const optional = (session.capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) !== 0;
      if (optional && length >= 13 && piece.length >= HEADER_BYTES + 13 && piece[HEADER_BYTES + 12] === 0) return 'end';
      answer.preparedColumns = columns;
      if (params > 0) return block(answer, 'params', params);
      return columns > 0 ? block(answer, 'prepared-columns', columns) : 'end';
    }
    case 'params':
      if (--answer.left > 0) return 'more';
      if (!deprecateEof) return block(answer, 'params-eof', 0);
      return answer.preparedColumns > 0 ? block(answer, 'prepared-columns', answer.preparedColumns) : 'end';
    case 'params-eof':
      if (!isTerminator) return `expected the EOF after the parameter definitions, got 0x${hex(kind)}`;
      return answer.preparedColumns > 0 ? block(answer, 'prepared-columns', answer.preparedColumns) : 'end';
    case 'prepared-columns':
      if (--answer.left > 0) return 'more';
      return deprecateEof ? 'end' : block(answer, 'prepared-columns-eof', 0);
    case 'prepared-columns-eof':
      return isTerminator ? 'end' : `expected the EOF after the column definitions, got 0x${hex(kind)}`;
    case 'fields':
      return kind === ERR || isTerminator ? 'end' : 'more';
  }
}

function firstOfResult(answer: Answer, payload: Buffer, length: number, session: MysqlSession, deprecateEof: boolean): Step {
  const kind = payload[0];
  if (kind === undefined) return 'empty packet where a result was expected';
  if (kind === OK) return nextResult(answer, okStatus(payload, session.capabilities));
  if (kind === ERR) {
    const isProgress = (session.extended & MARIADB_CLIENT_PROGRESS) !== 0 && payload.length >= 3 && payload.readUInt16LE(1) === PROGRESS_CODE;
    return isProgress ? 'more' : 'end';
  }
  if (kind === LOCAL_INFILE) {
    // The client sends the file next; the server's OK or ERR for it follows in this answer.
    session.infile = true;
    return 'more';
  }
  if (kind === EOF && length < 9) return nextResult(answer, eofStatus(payload));
  const count = readLengthEncoded(payload, 0);
  if (count === undefined || count.value === 0 || count.value > MAX_COLUMNS) return `bad column count (0x${hex(kind)}, ${length} bytes)`;
  // With metadata caching (MariaDB) or optional metadata (MySQL), a flag says whether definitions follow.
  const flagged = (session.extended & MARIADB_CLIENT_CACHE_METADATA) !== 0 || (session.capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) !== 0;
  const definitions = flagged && payload[count.size] === 0 ? 0 : count.value;
  if (definitions > 0) return block(answer, 'columns', definitions);
  answer.stage = deprecateEof ? 'rows' : 'columns-eof';
  return 'more';
}

/** The end of one result: the answer goes on if the server says more results follow. */
function nextResult(answer: Answer, status: number): Step {
  if ((status & SERVER_MORE_RESULTS_EXISTS) === 0) return 'end';
  answer.stage = 'first';
  return 'more';
}

function block(answer: Answer, stage: Stage, left: number): Step {
  answer.stage = stage;
  answer.left = left;
  return 'more';
}

function payloadOf(piece: Buffer): Buffer {
  return piece.subarray(HEADER_BYTES);
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0');
}
