// Splits a PostgreSQL byte stream into messages, and a message into pieces of at most
// `pieceBytes`, at offsets that depend on the message alone, never on the chunking. Three
// shapes: a typed message (type byte, Int32 length counting itself, body), a start-up message
// (Int32 length, then the code and body) and the one-byte answer to an SSLRequest. A piece is a
// view of its chunk; only a piece that straddles chunks is copied. Nothing is changed or dropped.

/** What the next message is expected to be, as its side knows from the conversation so far. */
export type Shape = 'typed' | 'startup' | 'answer-byte';

/** `type` of a start-up message, which has no type byte. */
export const UNTYPED = -1;
/** Body bytes a message's first piece always carries (when it has them): enough to classify it and read 100 characters of SQL. */
export const CLASSIFY_BYTES = 512;
/** The server's limit for a start-up packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_BYTES = 10_000;
/** The server's limit for any message (PQ_LARGE_MESSAGE_LIMIT is 1 GiB - 1; rows can reach it). */
export const MAX_MESSAGE_BYTES = 0x40000000;

/** The bytes that answer an SSLRequest or GSSENCRequest on their own: `S`, `N`, `G`. */
const ANSWER_BYTES = new Set([0x53, 0x4e, 0x47]);
const EMPTY: Buffer = Buffer.alloc(0);

/** A type byte as a person reads it: 'Q', or 0x01. */
export function printable(type: number): string {
  return type >= 0x20 && type < 0x7f ? `'${String.fromCharCode(type)}'` : `0x${type.toString(16).padStart(2, '0')}`;
}

/** Part of a message, in wire order. */
export interface MessagePiece {
  readonly bytes: Buffer;
  /** Carries the message's header: its body starts at `bytes[headerBytes]`. */
  readonly start: boolean;
  /** Completes its message. */
  readonly end: boolean;
  /** The type byte, the answer byte, or UNTYPED for a start-up message. */
  readonly type: number;
  /** 5 (typed), 4 (start-up: the length; the code is the body's first 4 bytes) or 1 (an answer byte). */
  readonly headerBytes: number;
  /** The stream ended inside this message: these are its last bytes. */
  readonly truncated: boolean;
}

/** What the reader asks of its side (the direction's protocol knowledge). */
export interface MessageKinds {
  /** What the next message is, asked when its first byte has arrived. */
  shapeOfNext(): Shape;
  /** Whether a typed message of `type` can come this way: an unknown type is refused at its header. */
  knows(type: number): boolean;
}

/**
 * Feed a chunk, then call `next()` until it returns undefined, or a string: why the bytes are
 * not a message (an unknown type, a length out of range); `rest()` then hands back what was
 * not given out. The piece returned is the reader's own object, valid until the next call.
 */
export class MessageReader {
  private readonly piece: { -readonly [K in keyof MessagePiece]: MessagePiece[K] } = { bytes: EMPTY, start: false, end: false, type: 0, headerBytes: 0, truncated: false };
  private chunk: Buffer = EMPTY;
  private offset = 0;
  /** Bytes of the next piece gathered from earlier chunks (only when it straddles them). */
  private parts: Buffer[] = [];
  private gathered = 0;
  /** Bytes the next piece needs in all; 0 between messages, the header alone until it is read. */
  private target = 0;
  private shape: Shape | 'byte' = 'typed';
  private headerBytes = 0;
  private headerRead = false;
  private started = false;
  /** Wire bytes of the message not yet given to a piece. */
  private unassigned = 0;
  private type = 0;

  constructor(
    private readonly pieceBytes: number,
    private readonly kinds: MessageKinds,
  ) {}

  feed(chunk: Buffer): void {
    this.chunk = chunk;
    this.offset = 0;
  }

  /** The next complete piece of what was fed, undefined when more bytes are needed, or why framing must stop. */
  next(): MessagePiece | string | undefined {
    for (;;) {
      const available = this.chunk.length - this.offset;
      if (this.target === 0) {
        if (available === 0) return undefined;
        this.begin(this.chunk[this.offset] as number);
      }
      if (this.gathered === 0) {
        // Fast path: the header and the whole piece lie in the chunk; no copy, no array.
        if (!this.headerRead && available >= this.headerBytes) {
          const problem = this.readHeader(this.chunk, this.offset);
          if (problem !== undefined) return problem;
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
        const problem = this.readHeader(header, 0);
        if (problem !== undefined) return problem;
        continue;
      }
      const bytes = this.joined();
      this.parts = [];
      this.gathered = 0;
      return this.emit(bytes, false);
    }
  }

  /** End of stream: a partial message still goes out, as it came. */
  finish(): MessagePiece | undefined {
    const piece = this.gathered > 0 ? this.emit(this.joined(), true) : undefined;
    this.reset();
    return piece;
  }

  /** Gives up framing: every byte fed and not given out yet (gathered, then unread), in order. */
  rest(): Buffer[] {
    const rest = this.parts;
    if (this.offset < this.chunk.length) rest.push(this.chunk.subarray(this.offset));
    this.chunk = EMPTY;
    this.offset = 0;
    this.reset();
    return rest;
  }

  private begin(firstByte: number): void {
    const shape = this.kinds.shapeOfNext();
    this.shape = shape === 'answer-byte' ? (ANSWER_BYTES.has(firstByte) ? 'byte' : 'typed') : shape;
    this.headerBytes = this.shape === 'typed' ? 5 : this.shape === 'startup' ? 4 : 1;
    this.target = this.headerBytes;
  }

  private joined(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.gathered);
  }

  /** Reads the header at `at`; a string when its length cannot be one of a message. */
  private readHeader(source: Buffer, at: number): string | undefined {
    let body = 0;
    if (this.shape === 'byte') {
      this.type = source[at] as number;
    } else if (this.shape === 'typed') {
      this.type = source[at] as number;
      if (!this.kinds.knows(this.type)) return `unknown message type ${printable(this.type)}`;
      const length = source.readInt32BE(at + 1);
      if (length < 4 || length > MAX_MESSAGE_BYTES) return `message length ${length}`;
      body = length - 4;
    } else {
      this.type = UNTYPED;
      const length = source.readInt32BE(at);
      if (length < 8 || length > MAX_STARTUP_BYTES) return `start-up packet length ${length}`;
      body = length - 4;
    }
    this.headerRead = true;
    const wire = this.headerBytes + body;
    const first = Math.min(wire, Math.max(this.pieceBytes, this.headerBytes + Math.min(body, CLASSIFY_BYTES)));
    this.target = first;
    this.unassigned = wire - first;
    return undefined;
  }

  private emit(bytes: Buffer, truncated: boolean): MessagePiece {
    const piece = this.piece;
    piece.bytes = bytes;
    piece.start = !this.started;
    piece.type = this.headerRead ? this.type : UNTYPED;
    piece.headerBytes = this.headerBytes;
    piece.truncated = truncated;
    piece.end = truncated || this.unassigned === 0;
    if (piece.end) {
      this.parts = [];
      this.gathered = 0;
      this.target = 0;
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
    this.target = 0;
    this.headerRead = false;
    this.started = false;
    this.unassigned = 0;
  }
}
