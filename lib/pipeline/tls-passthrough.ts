// A framed protocol that meets TLS it does not terminate (a TLS record as the client's first
// bytes, a ClientHello to an HTTPS or SMTPS port; or as the backend's first bytes, its answer to
// a plaintext client) passes the rest of the connection through raw, both directions, after one
// log line: framing encrypted bytes would wait for a frame that never comes.
import type { Direction, Message } from '../contract/message.js';
import type { Framer, FramerPair } from '../contract/protocol.js';

/** TLS record types a connection may open with: alert (21), handshake (22). */
const ALERT = 0x15;
const HANDSHAKE = 0x16;
const NOTHING: readonly Message[] = [];
const BOTH: Readonly<Record<Direction, boolean>> = { request: true, response: true };

/** True when `chunk` opens like a TLS record: type, then version 3.1 to 3.4 (what is on the wire since TLS 1.0). */
export function looksLikeTls(chunk: Buffer, direction: Direction): boolean {
  const type = chunk[0];
  if (type !== HANDSHAKE && !(direction === 'response' && type === ALERT)) return false;
  if (chunk.length > 1 && chunk[1] !== 0x03) return false;
  const minor = chunk[2];
  return chunk.length <= 2 || (minor !== undefined && minor >= 1 && minor <= 4);
}

/** One direction's framer behind the gate (a class: a connection makes two, with no closures). */
class GatedFramer implements Framer {
  /** This direction's first chunk has been seen. */
  opened = false;
  /** The switch came while this framer held bytes: they go out (framer.end()) before the raw ones. */
  holdsLeftovers = false;

  constructor(
    private readonly gate: TlsPassthrough,
    readonly direction: Direction,
    readonly inner: Framer,
  ) {}

  push(chunk: Buffer): Iterable<Message> {
    return this.gate.push(this, chunk);
  }

  end(): Iterable<Message> {
    return this.gate.end(this);
  }
}

/** `framers`, switched to raw passthrough for good when either direction opens with TLS; `noticed` is told once. */
export class TlsPassthrough implements FramerPair {
  readonly request: GatedFramer;
  readonly response: GatedFramer;
  private raw = false;

  constructor(
    private readonly framers: FramerPair,
    private readonly noticed: { tlsSeen(direction: Direction): void },
    /** Directions whose bytes may be TLS vaurien does not terminate (a decrypted side's are plaintext). */
    private readonly watched: Readonly<Record<Direction, boolean>> = BOTH,
  ) {
    this.request = new GatedFramer(this, 'request', framers.request);
    this.response = new GatedFramer(this, 'response', framers.response);
  }

  reusable(): boolean {
    return !this.raw && this.framers.reusable?.() !== false;
  }

  push(side: GatedFramer, chunk: Buffer): Iterable<Message> {
    if (!side.opened) {
      side.opened = true;
      if (!this.raw && this.watched[side.direction] && looksLikeTls(chunk, side.direction)) {
        this.raw = true;
        const other = side === this.request ? this.response : this.request;
        other.holdsLeftovers = other.opened;
        this.noticed.tlsSeen(side.direction);
      }
    }
    if (!this.raw) return side.inner.push(chunk);
    const out: Message = { bytes: chunk, direction: side.direction, exchange: 0, first: true, last: true };
    if (!side.holdsLeftovers) return [out];
    side.holdsLeftovers = false;
    return [...side.inner.end(), out];
  }

  end(side: GatedFramer): Iterable<Message> {
    if (!this.raw || side.holdsLeftovers) return side.inner.end();
    return NOTHING;
  }
}

/** `framers`, switched to raw passthrough for good when a watched direction opens with TLS. */
export function passTlsThrough(framers: FramerPair, noticed: (direction: Direction) => void, watched: Readonly<Record<Direction, boolean>> = BOTH): FramerPair {
  return new TlsPassthrough(framers, { tlsSeen: noticed }, watched);
}
