// The ERR packets vaurien answers with, and `inject`'s corruption of a server packet. Both
// keep the packet framing valid (length and sequence id), so a client sees a well-formed
// error, or a well-formed packet with wrong contents, never a desynchronised stream.
import type { Message } from '../../../lib/contract/message.js';
import type { Rng } from '../../../lib/rng.js';
import { HEADER_BYTES } from './mysql-packets.js';

/** ER_UNKNOWN_ERROR: what a server reports when nothing more precise applies. */
export const INJECTED_ERROR_CODE = 1105;
export const INJECTED_SQL_STATE = 'HY000';
export const INJECTED_ERROR_MESSAGE = 'vaurien injected error';

/** Most payload bytes `inject` overwrites. */
const CORRUPTED_BYTES = 16;

/**
 * An ERR packet. Without `sqlState` it is the pre-4.1 form a server sends before the client
 * said it speaks 4.1 (a refused greeting).
 * @example errPacket(1, 1105, 'HY000', 'vaurien injected error') // 1f 00 00 01 ff 51 04 23 48 59 30 30 30 76 61 …
 */
export function errPacket(sequence: number, code: number, sqlState: string | undefined, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const state = sqlState === undefined ? Buffer.alloc(0) : Buffer.from(`#${sqlState}`, 'latin1');
  const payloadLength = 3 + state.length + text.length;
  const packet = Buffer.allocUnsafe(HEADER_BYTES + payloadLength);
  packet.writeUIntLE(payloadLength, 0, 3);
  packet[3] = sequence & 0xff;
  packet[4] = 0xff;
  packet.writeUInt16LE(code, 5);
  state.copy(packet, 7);
  text.copy(packet, 7 + state.length);
  return packet;
}

/** Flips up to CORRUPTED_BYTES consecutive payload bytes of a packet's first piece (each surely changes). */
export function corruptPacket(message: Message, rng: Rng): Message {
  const payload = message.bytes.length - HEADER_BYTES;
  if (payload <= 0) return message;
  const span = rng.int(1, Math.min(payload, CORRUPTED_BYTES));
  const at = HEADER_BYTES + rng.int(0, payload - span);
  const bytes = Buffer.from(message.bytes);
  for (let index = at; index < at + span; index++) bytes[index] = (bytes[index] as number) ^ rng.int(1, 255);
  return { ...message, bytes };
}
