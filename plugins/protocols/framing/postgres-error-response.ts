// The PostgreSQL messages vaurien answers with (ErrorResponse, ReadyForQuery), and `inject`'s
// corruption of a server message. Both keep the framing valid (type byte and length field),
// so a client sees a well-formed error, or a well-formed message with wrong contents, never a
// desynchronised stream.
import type { Message } from '../../../lib/contract/message.js';
import type { Rng } from '../../../lib/rng.js';
import type { TransactionStatus } from './postgres-session.js';

export const INJECTED_ERROR_MESSAGE = 'vaurien injected error';
/** admin_shutdown: what a server says when it terminates a session; also `sqlstate`'s default. */
export const DEFAULT_SQLSTATE = '57P01';

/** Header bytes of a typed message: the type and the Int32 length. */
const HEADER_BYTES = 5;
/** Most body bytes `inject` overwrites. */
const CORRUPTED_BYTES = 16;

/**
 * An ErrorResponse: severity (localized `S` and plain `V`), SQLSTATE (`C`) and message (`M`).
 * A NUL in a field would end it early; NULs are dropped so the message stays well formed.
 * @example errorResponse('ERROR', '57P01', 'vaurien injected error') // 45 00 00 00 35 53 45 52 52 4f 52 00 56 …
 */
export function errorResponse(severity: 'ERROR' | 'FATAL', sqlstate: string, message: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${sqlstate}`, `M${message}`].map((field) => Buffer.from(`${field.replaceAll('\0', '')}\0`, 'utf8'));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = 0x45; // E
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** A ReadyForQuery reporting `status`. */
export function readyForQuery(status: TransactionStatus): Buffer {
  return Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
}

/**
 * Overwrites up to CORRUPTED_BYTES consecutive body bytes of a message's first piece with
 * other values (each surely changes). A message without a body (ParseComplete, an SSL answer
 * byte) gets its type byte replaced by a control character, which no message type is: the
 * client reads a message it does not know, of the right length.
 */
export function corruptMessage(message: Message, rng: Rng): Message {
  const { length } = message.bytes;
  if (length === 0) return message;
  const bytes = Buffer.from(message.bytes);
  if (length <= HEADER_BYTES) {
    bytes[0] = rng.int(0x01, 0x1f);
    return { ...message, bytes };
  }
  const body = length - HEADER_BYTES;
  const span = rng.int(1, Math.min(body, CORRUPTED_BYTES));
  const at = HEADER_BYTES + rng.int(0, body - span);
  for (let index = at; index < at + span; index++) bytes[index] = (bytes[index] as number) ^ rng.int(1, 255);
  return { ...message, bytes };
}
