// The MySQL/MariaDB commands (the first payload byte of a command packet) and the shape of
// the server's answer to each, which is what the response framer needs to find its end.

/**
 * - `none`: no answer at all (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA).
 * - `single`: one packet: OK, ERR, EOF, or COM_STATISTICS' raw string.
 * - `result`: OK, ERR, LOCAL INFILE request or result set(s), chained by SERVER_MORE_RESULTS_EXISTS.
 * - `prepare`: COM_STMT_PREPARE's OK followed by parameter and column definitions, or ERR.
 * - `fields`: column definitions up to an EOF (COM_FIELD_LIST), or ERR.
 * - `rows`: rows up to an EOF/OK (COM_STMT_FETCH, binlog dumps), or ERR.
 * - `auth`: authentication packets up to OK or ERR (COM_CHANGE_USER, the login).
 */
export type ResponseShape = 'none' | 'single' | 'result' | 'prepare' | 'fields' | 'rows' | 'auth';

export interface CommandSpec {
  readonly name: string;
  readonly response: ResponseShape;
}

const SPECS: ReadonlyArray<readonly [code: number, name: string, response: ResponseShape]> = [
  [0x00, 'COM_SLEEP', 'single'],
  [0x01, 'COM_QUIT', 'none'],
  [0x02, 'COM_INIT_DB', 'single'],
  [0x03, 'COM_QUERY', 'result'],
  [0x04, 'COM_FIELD_LIST', 'fields'],
  [0x05, 'COM_CREATE_DB', 'single'],
  [0x06, 'COM_DROP_DB', 'single'],
  [0x07, 'COM_REFRESH', 'single'],
  [0x08, 'COM_SHUTDOWN', 'single'],
  [0x09, 'COM_STATISTICS', 'single'],
  [0x0a, 'COM_PROCESS_INFO', 'result'],
  [0x0b, 'COM_CONNECT', 'single'],
  [0x0c, 'COM_PROCESS_KILL', 'single'],
  [0x0d, 'COM_DEBUG', 'single'],
  [0x0e, 'COM_PING', 'single'],
  [0x0f, 'COM_TIME', 'single'],
  [0x10, 'COM_DELAYED_INSERT', 'single'],
  [0x11, 'COM_CHANGE_USER', 'auth'],
  [0x12, 'COM_BINLOG_DUMP', 'rows'],
  [0x13, 'COM_TABLE_DUMP', 'single'],
  [0x14, 'COM_CONNECT_OUT', 'single'],
  [0x15, 'COM_REGISTER_SLAVE', 'single'],
  [0x16, 'COM_STMT_PREPARE', 'prepare'],
  [0x17, 'COM_STMT_EXECUTE', 'result'],
  [0x18, 'COM_STMT_SEND_LONG_DATA', 'none'],
  [0x19, 'COM_STMT_CLOSE', 'none'],
  [0x1a, 'COM_STMT_RESET', 'single'],
  [0x1b, 'COM_SET_OPTION', 'single'],
  [0x1c, 'COM_STMT_FETCH', 'rows'],
  [0x1d, 'COM_DAEMON', 'single'],
  [0x1e, 'COM_BINLOG_DUMP_GTID', 'rows'],
  [0x1f, 'COM_RESET_CONNECTION', 'single'],
  [0xfa, 'COM_STMT_BULK_EXECUTE', 'result'],
];

const BY_CODE: ReadonlyMap<number, CommandSpec> = new Map(SPECS.map(([code, name, response]) => [code, { name, response }]));
const BY_NAME: ReadonlyMap<string, CommandSpec> = new Map([...BY_CODE.values()].map((spec) => [spec.name, spec]));

/** Requests of the connection phase (not commands): answered by `auth` packets. */
export const HANDSHAKE_RESPONSE = 'HANDSHAKE_RESPONSE';
/** The client's SSL request: no answer, its TLS handshake follows (then its HandshakeResponse). */
export const SSL_REQUEST = 'SSL_REQUEST';
export const AUTH_SWITCH_RESPONSE = 'AUTH_SWITCH_RESPONSE';
/** The contents of a LOCAL INFILE: passed outside any exchange, as part of its query's. */
export const LOCAL_INFILE_DATA = 'LOCAL_INFILE_DATA';

/** The command a command packet starts with; undefined for an unknown byte. */
export function commandOf(code: number): CommandSpec | undefined {
  return BY_CODE.get(code);
}

/** How the server answers the request named `name` (a command, or a connection-phase packet). */
export function responseShapeOf(name: unknown): ResponseShape | undefined {
  if (name === HANDSHAKE_RESPONSE || name === AUTH_SWITCH_RESPONSE) return 'auth';
  return typeof name === 'string' ? BY_NAME.get(name)?.response : undefined;
}

/** Requests of the login: an error there ends the connection, as a failed login does. */
export function isLoginRequest(name: unknown): boolean {
  return name === HANDSHAKE_RESPONSE || name === AUTH_SWITCH_RESPONSE || name === SSL_REQUEST;
}
