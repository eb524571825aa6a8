// Frames one direction of HTTP/1.1: each message is its head (one Message, with `info`), then
// its body in slices of at most `maxBodyBytes`. Only a head split across chunks is copied;
// bodies are views of their chunk. Bytes are never changed, and bad input never throws: one
// warning line, then the rest of the direction passes through raw (exchange 0).
import type { Direction, Message, MessageInfo } from '../../../lib/contract/message.js';
import type { Framer } from '../../../lib/contract/protocol.js';
import type { Logger } from '../../../lib/log.js';
import { MALFORMED, type BodyReader } from './http-body.js';
import { findHeadEnd, MAX_HEAD_BYTES } from './http-head.js';

/** How a head just read is framed, decided by the direction (request or response) reading it. */
export interface HeadFraming {
  /** 0: outside any exchange (a response nobody asked for). */
  readonly exchange: number;
  readonly first: boolean;
  /** The message completes its side of the exchange (false for an interim 1xx response). */
  readonly last: boolean;
  readonly info: MessageInfo;
  /** undefined: the head is the whole message. */
  readonly body: BodyReader | undefined;
  /** After this message the direction stops being HTTP (101 Switching Protocols, a CONNECT tunnel). */
  readonly thenRaw: boolean;
}

/** What differs between the request and the response direction. */
export interface HttpSide {
  readonly direction: Direction;
  /** Frames a complete head; a string says why it is malformed. */
  head(bytes: Buffer): HeadFraming | string;
  /** Asked before each new head: true turns the rest of the direction into raw passthrough. */
  rawFromHere(): boolean;
}

const enum Mode {
  Idle, // between messages: the next byte starts a head
  Head, // a head arrived in part; its bytes are held in `pieces`
  Body,
  Raw, // exchange-0 passthrough until the end
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

export function createHttpMessageFramer(side: HttpSide, maxBodyBytes: number, log: Logger): Framer {
  const { direction } = side;
  let mode = Mode.Idle;
  let pieces: HeadPieces | undefined;
  let body: BodyReader | undefined;
  let bodyExchange = 0;
  let rawAfterBody = false;
  /** The exchange whose side has started and not ended: closed by an empty `last` if framing stops. */
  let open = 0;

  const message = (bytes: Buffer, exchange: number, first: boolean, last: boolean, info?: MessageInfo): Message =>
    info === undefined ? { bytes, direction, exchange, first, last } : { bytes, direction, exchange, first, last, info };
  const raw = (bytes: Buffer): Message => ({ bytes, direction, exchange: 0, first: false, last: false });

  /** Ends the open side (so the engine's bookkeeping moves on) and turns raw. */
  function malformed(out: Message[], problem: string): void {
    log.warning(`http ${direction}: ${problem}; the rest of this ${direction} stream passes through unframed`);
    mode = Mode.Raw;
    body = undefined;
    pieces = undefined;
    if (open !== 0) out.push(message(EMPTY, open, false, true));
    open = 0;
  }

  function onHead(out: Message[], bytes: Buffer): void {
    const framing = side.head(bytes);
    if (typeof framing === 'string') {
      malformed(out, framing);
      out.push(raw(bytes));
      return;
    }
    const { exchange } = framing;
    const inExchange = exchange !== 0;
    const ends = framing.body === undefined && framing.last;
    out.push(message(bytes, exchange, inExchange && framing.first, inExchange && ends, framing.info));
    open = inExchange && !ends ? exchange : 0;
    if (framing.body !== undefined) {
      body = framing.body;
      bodyExchange = exchange;
      rawAfterBody = framing.thenRaw;
      mode = Mode.Body;
    } else {
      mode = framing.thenRaw ? Mode.Raw : Mode.Idle;
    }
  }

  /** Frames `chunk` into `out` (an array: cheaper than a generator's suspend and resume per message). */
  function frame(chunk: Buffer, out: Message[]): void {
    let at = 0;
    while (at < chunk.length) {
      switch (mode) {
        case Mode.Body: {
          const reader = body as BodyReader;
          const end = reader.consume(chunk, at, Math.min(chunk.length, at + maxBodyBytes));
          if (end === MALFORMED) {
            malformed(out, reader.problem);
            break;
          }
          const last = reader.done && bodyExchange !== 0;
          out.push(message(chunk.subarray(at, end), bodyExchange, false, last));
          at = end;
          if (reader.done) {
            open = 0;
            body = undefined;
            mode = rawAfterBody ? Mode.Raw : Mode.Idle;
          }
          break;
        }
        case Mode.Raw:
          out.push(raw(at === 0 ? chunk : chunk.subarray(at)));
          return;
        case Mode.Head: {
          // Only ever entered at the start of a chunk: a head in pieces ends a push.
          const held = pieces as HeadPieces;
          const before = held.length;
          held.append(chunk.subarray(0, Math.min(chunk.length, MAX_HEAD_BYTES + 1 - before)));
          const view = held.view();
          const end = findHeadEnd(view, 0, before);
          if (end !== -1 && end <= MAX_HEAD_BYTES) {
            pieces = undefined;
            mode = Mode.Idle;
            at = end - before;
            onHead(out, view.subarray(0, end));
          } else if (view.length > MAX_HEAD_BYTES) {
            malformed(out, `head longer than ${MAX_HEAD_BYTES} bytes`);
            out.push(raw(view.subarray(0, before)));
          } else {
            return;
          }
          break;
        }
        case Mode.Idle: {
          // Empty lines before a message are tolerated (RFC 9112 §2.2) and go through as they are.
          let start = at;
          while (start < chunk.length && (chunk[start] === CR || chunk[start] === LF)) start++;
          if (start > at) {
            out.push(raw(chunk.subarray(at, start)));
            at = start;
            break;
          }
          if (side.rawFromHere()) {
            mode = Mode.Raw;
            break;
          }
          const end = findHeadEnd(chunk, at);
          if (end !== -1 && end - at <= MAX_HEAD_BYTES) {
            onHead(out, chunk.subarray(at, end));
            at = end;
          } else if (end !== -1 || chunk.length - at > MAX_HEAD_BYTES) {
            malformed(out, `head longer than ${MAX_HEAD_BYTES} bytes`);
          } else {
            pieces = new HeadPieces(chunk.subarray(at));
            mode = Mode.Head;
            return;
          }
          break;
        }
      }
    }
  }

  return {
    push(chunk: Buffer): Message[] {
      const out: Message[] = [];
      frame(chunk, out);
      return out;
    },
    end(): Message[] {
      // A partial head still goes through; the open side (a body read until close) ends here.
      const partial = pieces?.view() ?? EMPTY;
      pieces = undefined;
      const rest = open !== 0 ? [message(partial, open, false, true)] : partial.length > 0 ? [raw(partial)] : [];
      open = 0;
      return rest;
    },
  };
}

/** The bytes of a head that arrives in several chunks, in a buffer that doubles as it fills. */
class HeadPieces {
  private buffer: Buffer;
  length = 0;

  constructor(firstPiece: Buffer) {
    this.buffer = Buffer.allocUnsafe(Math.max(firstPiece.length * 2, 1024));
    this.append(firstPiece);
  }

  append(piece: Buffer): void {
    const needed = this.length + piece.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    piece.copy(this.buffer, this.length);
    this.length = needed;
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
