// A framed protocol that meets TLS it does not terminate (a ClientHello as the client's first
// bytes, or a TLS answer as the backend's) passes the rest of the connection through raw, after
// one log line, instead of waiting for a frame that never comes. Decrypted sides are not watched.
import type { Direction, Message } from '../contract/message.js';
import type { Framer, FramerPair } from '../contract/protocol.js';

/** TLS record types a connection may open with: alert (21), handshake (22). */
const ALERT = 0x15;
const HANDSHAKE = 0x16;

/** True when `chunk` opens like a TLS record: type, then version 3.1 to 3.4 (what is on the wire since TLS 1.0). */
export function looksLikeTls(chunk: Buffer, direction: Direction): boolean {
  const type = chunk[0];
  if (type !== HANDSHAKE && !(direction === 'response' && type === ALERT)) return false;
  if (chunk.length > 1 && chunk[1] !== 0x03) return false;
  const minor = chunk[2];
  return chunk.length <= 2 || (minor !== undefined && minor >= 1 && minor <= 4);
}

/**
 * `framers`, switched to raw passthrough for good when a `watched` direction opens with TLS;
 * `noticed` is told once.
 */
export function passTlsThrough(
  framers: FramerPair,
  noticed: (direction: Direction) => void,
  watched: Readonly<Record<Direction, boolean>> = { request: true, response: true },
): FramerPair {
  let raw = false;
  const opened: Record<Direction, boolean> = { request: false, response: false };
  /** The framer of a direction that was framing when the switch came: what it held goes out first. */
  const leftovers: Record<Direction, boolean> = { request: false, response: false };
  const wrap = (direction: Direction, framer: Framer): Framer => ({
    push(chunk) {
      if (!opened[direction]) {
        opened[direction] = true;
        if (!raw && watched[direction] && looksLikeTls(chunk, direction)) {
          raw = true;
          leftovers[direction === 'request' ? 'response' : 'request'] = opened[direction === 'request' ? 'response' : 'request'];
          noticed(direction);
        }
      }
      if (!raw) return framer.push(chunk);
      const out: Message = { bytes: chunk, direction, exchange: 0, first: true, last: true };
      if (!leftovers[direction]) return [out];
      leftovers[direction] = false;
      return [...framer.end(), out];
    },
    end() {
      if (!raw || leftovers[direction]) return framer.end();
      return [];
    },
  });
  return {
    request: wrap('request', framers.request),
    response: wrap('response', framers.response),
    reusable: () => !raw && framers.reusable?.() !== false,
  };
}
