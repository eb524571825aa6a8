// Splits a MySQL byte stream into packets (3-byte little-endian length, 1-byte sequence id,
// payload) and a packet into pieces of at most `pieceBytes`, at offsets that depend on the
// packet alone, never on the chunking. A piece is a view of its chunk; only a piece that
// straddles chunks is copied. Nothing is ever changed or dropped.

export const HEADER_BYTES = 4;
/** A payload of this length continues in the next packet. */
export const MAX_PAYLOAD = 0xffffff;
/** Payload bytes a packet's first piece always carries (when the packet has them): enough to classify it. */
export const CLASSIFY_BYTES = 256;

const EMPTY = Buffer.alloc(0);

/** Part of a packet, in wire order. */
export interface PacketPiece {
  readonly bytes: Buffer;
  /** Carries the packet's 4-byte header: the payload starts at `bytes[4]`. */
  readonly start: boolean;
  /** Completes its packet. */
  readonly end: boolean;
  /** The packet's payload length and sequence id (0 for a truncated header). */
  readonly length: number;
  readonly sequence: number;
  /** The stream ended inside this packet: these are its last bytes. */
  readonly truncated: boolean;
}

/**
 * Feed a chunk, then call `next()` until it returns undefined. The piece returned is the
 * reader's own object, valid until the next call (the framer turns it into a message at once):
 * one allocation less per packet on the hot path.
 */
export class PacketReader {
  private readonly piece: { bytes: Buffer; start: boolean; end: boolean; length: number; sequence: number; truncated: boolean } = { bytes: EMPTY, start: false, end: false, length: 0, sequence: 0, truncated: false };
  private chunk: Buffer = EMPTY;
  private offset = 0;
  /** Bytes of the next piece gathered from earlier chunks (only when it straddles them). */
  private parts: Buffer[] = [];
  private gathered = 0;
  /** Bytes the next piece needs in all; the header alone until it is read. */
  private target = HEADER_BYTES;
  private headerRead = false;
  private started = false;
  /** Wire bytes of the packet not yet given to a piece. */
  private unassigned = 0;
  private length = 0;
  private sequence = 0;

  constructor(private readonly pieceBytes: number) {}

  feed(chunk: Buffer): void {
    this.chunk = chunk;
    this.offset = 0;
  }

  /** The next complete piece of what was fed, or undefined when more bytes are needed. */
  next(): PacketPiece | undefined {
    for (;;) {
      const available = this.chunk.length - this.offset;
      if (this.gathered === 0) {
        // Fast path: the header and the whole piece lie in the chunk; no copy, no array.
        if (!this.headerRead && available >= HEADER_BYTES) {
          this.readHeader(this.chunk, this.offset);
        }
        if (this.headerRead && available >= this.target) {
          const bytes = this.chunk.subarray(this.offset, this.offset + this.target);
          this.offset += this.target;
          return this.emit(bytes, false);
        }
      }
      const take = Math.min(this.target - this.gathered, available);
      if (take > 0) {
        this.parts.push(this.chunk.subarray(this.offset, this.offset + take));
        this.gathered += take;
        this.offset += take;
      }
      if (this.gathered < this.target) return undefined;
      if (!this.headerRead) {
        const header = this.joined();
        this.parts = [header];
        this.readHeader(header, 0);
        continue;
      }
      const bytes = this.joined();
      this.parts = [];
      this.gathered = 0;
      return this.emit(bytes, false);
    }
  }

  /** End of stream: a partial packet still goes out, as it came. */
  finish(): PacketPiece | undefined {
    if (!this.headerRead) {
      this.length = 0;
      this.sequence = 0;
    }
    const piece = this.gathered > 0 ? this.emit(this.joined(), true) : undefined;
    this.reset();
    return piece;
  }

  /** Gives up framing between two chunks: the bytes gathered for the next piece, in order. */
  held(): Buffer[] {
    const parts = this.parts;
    this.reset();
    return parts;
  }

  /** Gives up framing right after a piece: the rest of the chunk being read. */
  unread(): Buffer {
    const rest = this.chunk.subarray(this.offset);
    this.chunk = EMPTY;
    this.offset = 0;
    this.reset();
    return rest;
  }

  private joined(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.gathered);
  }

  private readHeader(source: Buffer, at: number): void {
    this.length = source.readUIntLE(at, 3);
    this.sequence = source[at + 3] as number;
    this.headerRead = true;
    const wire = HEADER_BYTES + this.length;
    const first = Math.min(wire, Math.max(this.pieceBytes, HEADER_BYTES + Math.min(this.length, CLASSIFY_BYTES)));
    this.target = first;
    this.unassigned = wire - first;
  }

  private emit(bytes: Buffer, truncated: boolean): PacketPiece {
    const piece = this.piece;
    piece.bytes = bytes;
    piece.start = !this.started;
    piece.length = this.length;
    piece.sequence = this.sequence;
    piece.truncated = truncated;
    piece.end = truncated || this.unassigned === 0;
    if (piece.end) {
      this.parts = [];
      this.gathered = 0;
      this.target = HEADER_BYTES;
      this.headerRead = false;
      this.started = false;
    } else {
      this.started = true;
      this.target = Math.min(this.unassigned, this.pieceBytes);
      this.unassigned -= this.target;
    }
    return piece;
  }

  private reset(): void {
    this.parts = [];
    this.gathered = 0;
    this.target = HEADER_BYTES;
    this.headerRead = false;
    this.started = false;
    this.unassigned = 0;
    this.length = 0;
    this.sequence = 0;
  }
}
