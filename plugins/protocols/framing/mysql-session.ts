// What both directions of one MySQL connection know about it (kept in the connection's
// `shared` object): the capabilities agreed in the handshake, and the facts one side learns
// for the other (the server asked for more auth data, for a LOCAL INFILE, or the connection
// went raw, or switched to TLS). Also the few payload readers the framers need; none of them ever throws.

/** Capability flags (the lower 32 bits; MariaDB's extended ones are in `extended`). */
export const CLIENT_MYSQL = 0x1;
export const CLIENT_COMPRESS = 0x20;
export const CLIENT_PROTOCOL_41 = 0x200;
export const CLIENT_SSL = 0x800;
export const CLIENT_TRANSACTIONS = 0x2000;
export const CLIENT_DEPRECATE_EOF = 0x1000000;
export const CLIENT_OPTIONAL_RESULTSET_METADATA = 0x2000000;
export const CLIENT_ZSTD_COMPRESSION = 0x4000000;
/** MariaDB's extended capabilities (bits 32 and up, shifted down). */
export const MARIADB_CLIENT_PROGRESS = 0x1;
export const MARIADB_CLIENT_CACHE_METADATA = 0x10;

/** Server status flags (OK and EOF packets). */
export const SERVER_STATUS_CURSOR_EXISTS = 0x40;
export const SERVER_MORE_RESULTS_EXISTS = 0x8;

export interface MysqlSession {
  /** The server's greeting (or its refusal) went by. */
  greeted: boolean;
  serverCapabilities: number;
  serverExtended: number;
  /** Agreed by both sides: the server's offer and the client's HandshakeResponse. */
  capabilities: number;
  extended: number;
  /** The server asked for more authentication data: the client's next packet answers it. */
  authContinues: boolean;
  /** The server asked for a LOCAL INFILE: the client's next packets, up to an empty one, are the file. */
  infile: boolean;
  /** Both directions pass bytes through unchanged from now on (TLS not terminated, compression, malformed data). */
  raw: boolean;
  /**
   * TLS: `plain` so far; `asked` by the client's SSL request, for the framer to ask the engine
   * (which terminates it, or not: then raw); `secured` once terminated (the login goes on, over TLS).
   */
  tls: 'plain' | 'asked' | 'secured';
}

/** The session of a new connection, shared by its two framers. */
export function newMysqlSession(): MysqlSession {
  return { greeted: false, serverCapabilities: 0, serverExtended: 0, capabilities: 0, extended: 0, authContinues: false, infile: false, raw: false, tls: 'plain' };
}

/** A length-encoded integer at `offset`: its value and size, or undefined (NULL marker, or cut short). */
export function readLengthEncoded(payload: Buffer, offset: number): { value: number; size: number } | undefined {
  const marker = payload[offset];
  if (marker === undefined || marker === 0xfb || marker === 0xff) return undefined;
  if (marker < 0xfb) return { value: marker, size: 1 };
  const width = marker === 0xfc ? 2 : marker === 0xfd ? 3 : 8;
  if (offset + 1 + width > payload.length) return undefined;
  const value = width === 8 ? Number(payload.readBigUInt64LE(offset + 1)) : payload.readUIntLE(offset + 1, width);
  return { value, size: 1 + width };
}

/** The capabilities a HandshakeV10 greeting offers, or why it is not one. */
export function parseGreeting(payload: Buffer): { capabilities: number; extended: number } | string {
  if (payload[0] !== 0x0a) return `greeting of protocol version ${payload[0] ?? 'none'}`;
  const versionEnd = payload.indexOf(0, 1);
  if (versionEnd === -1) return 'greeting without a server version';
  // connection id (4), auth data part 1 (8), filler (1), then the lower capability bytes.
  const lower = versionEnd + 14;
  if (payload.length < lower + 2) return 'greeting cut short';
  let capabilities = payload.readUInt16LE(lower);
  let extended = 0;
  // charset (1), status (2), then the upper capability bytes.
  const upper = lower + 5;
  if (payload.length >= upper + 2) capabilities = (capabilities | (payload.readUInt16LE(upper) << 16)) >>> 0;
  // auth data length (1), reserved (6), then MariaDB's extended capabilities (when not CLIENT_MYSQL).
  const mariadb = upper + 9;
  if ((capabilities & CLIENT_MYSQL) === 0 && payload.length >= mariadb + 4) extended = payload.readUInt32LE(mariadb);
  return { capabilities, extended };
}

/** What a client's first packet (HandshakeResponse, or an SSLRequest) asks for, or why it is not one. */
export function parseHandshakeResponse(payload: Buffer): { capabilities: number; extended: number } | string {
  if (payload.length < 2) return 'handshake response cut short';
  const lower = payload.readUInt16LE(0);
  // HandshakeResponse320 (pre-4.1): two capability bytes only.
  if ((lower & CLIENT_PROTOCOL_41) === 0) return { capabilities: lower, extended: 0 };
  if (payload.length < 32) return 'handshake response cut short';
  const capabilities = payload.readUInt32LE(0);
  // max packet (4), charset (1), filler (19), then MariaDB's extended capabilities.
  const extended = (capabilities & CLIENT_MYSQL) === 0 ? payload.readUInt32LE(28) : 0;
  return { capabilities, extended };
}

/** The status flags of an OK packet (header 0x00, or 0xFE with CLIENT_DEPRECATE_EOF); 0 when absent. */
export function okStatus(payload: Buffer, capabilities: number): number {
  const affectedRows = readLengthEncoded(payload, 1);
  if (affectedRows === undefined) return 0;
  const lastInsertId = readLengthEncoded(payload, 1 + affectedRows.size);
  if (lastInsertId === undefined) return 0;
  const at = 1 + affectedRows.size + lastInsertId.size;
  if ((capabilities & (CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS)) === 0 || payload.length < at + 2) return 0;
  return payload.readUInt16LE(at);
}

/** The status flags of an EOF packet; 0 for the pre-4.1 one-byte EOF. */
export function eofStatus(payload: Buffer): number {
  return payload.length >= 5 ? payload.readUInt16LE(3) : 0;
}
