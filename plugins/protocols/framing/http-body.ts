// HTTP/1.1 message bodies, read incrementally: by Content-Length, chunked (with extensions and
// trailers), or until the connection closes. A reader only counts bytes to find where a body
// ends; it keeps no data, so a body of any size streams through in constant memory.

/** Returned by `consume` when the bytes do not follow the body's framing. */
export const MALFORMED = -1;

export interface BodyReader {
  /**
   * Reads body bytes in `data[from, to)` and returns where it stopped: `to`, or earlier only
   * when the body ended there (then `done` is true). `MALFORMED` on a framing error (`problem`).
   */
  consume(data: Buffer, from: number, to: number): number;
  readonly done: boolean;
  readonly problem: string;
}

/** A body of exactly `length` bytes (length > 0). */
export function lengthBody(length: number): BodyReader {
  return new LengthBody(length);
}

/**
 * A class, not an object literal: a getter in a literal is defined anew (a runtime call and a
 * change of shape) for every body, which showed as 3 % of the proxy's CPU time under HTTP load.
 */
class LengthBody implements BodyReader {
  readonly problem = '';

  constructor(private remaining: number) {}

  consume(_data: Buffer, from: number, to: number): number {
    const taken = Math.min(to - from, this.remaining);
    this.remaining -= taken;
    return from + taken;
  }

  get done(): boolean {
    return this.remaining === 0;
  }
}

/** A body that lasts until the connection closes (a response without length or chunking). */
export function untilCloseBody(): BodyReader {
  return { consume: (_data, _from, to) => to, done: false, problem: '' };
}

const LF = 0x0a;
const CR = 0x0d;
/** Longest chunk-size line (with extensions) and longest trailer line accepted. */
const MAX_LINE_BYTES = 64 * 1024;
/** 13 hex digits keep a chunk size below 2^52, exact as a JS number. */
const MAX_SIZE_DIGITS = 13;

const enum Chunked {
  Size, // the first hex digit of a chunk-size line
  SizeMore, // more hex digits, or the end of the size
  Extension, // `;name=value`, whitespace: skipped up to LF
  Data, // chunk data
  DataCr, // the CR LF after chunk data
  DataLf,
  TrailerStart, // a trailer line, or the empty line that ends the body
  TrailerEmptyLf, // CR seen at a line start: LF ends the body
  Trailer, // a trailer field line, up to LF
  Done,
}

/** A chunked body (`Transfer-Encoding: ..., chunked`), trailers included. */
export function chunkedBody(): BodyReader {
  let state: Chunked = Chunked.Size;
  let size = 0;
  let digits = 0;
  let lineBytes = 0;
  let remaining = 0;
  const reader = {
    done: false,
    problem: '',
    consume(data: Buffer, from: number, to: number): number {
      let at = from;
      while (at < to) {
        switch (state) {
          case Chunked.Data: {
            const taken = Math.min(to - at, remaining);
            at += taken;
            remaining -= taken;
            if (remaining === 0) state = Chunked.DataCr;
            break;
          }
          case Chunked.Extension:
          case Chunked.Trailer: {
            const end = data.indexOf(LF, at);
            const stop = end === -1 || end >= to ? to : end;
            lineBytes += stop - at;
            if (lineBytes > MAX_LINE_BYTES) return fail(state === Chunked.Trailer ? 'trailer line too long' : 'chunk-size line too long');
            at = stop;
            if (at < to) {
              at++; // the LF
              state = state === Chunked.Trailer ? Chunked.TrailerStart : sizeLineDone();
            }
            break;
          }
          default: {
            const byte = data[at] as number;
            at++;
            const next = step(byte);
            if (next === undefined) return fail(`unexpected byte 0x${byte.toString(16).padStart(2, '0')} in chunked framing`);
            state = next;
            if (state === Chunked.Done) {
              reader.done = true;
              return at;
            }
          }
        }
      }
      return at;
    },
  };

  function fail(problem: string): number {
    reader.problem = problem;
    return MALFORMED;
  }

  /** One byte of a line-level state; undefined when it breaks the framing. */
  function step(byte: number): Chunked | undefined {
    switch (state) {
      case Chunked.Size: {
        const value = hexValue(byte);
        if (value === -1) return undefined;
        size = value;
        digits = 1;
        lineBytes = 1;
        return Chunked.SizeMore;
      }
      case Chunked.SizeMore: {
        const value = hexValue(byte);
        lineBytes++;
        if (value !== -1) {
          if (++digits > MAX_SIZE_DIGITS) return undefined;
          size = size * 16 + value;
          return Chunked.SizeMore;
        }
        if (byte === LF) return sizeLineDone();
        // `;ext`, whitespace before it, or the CR of CR LF: the rest of the line is skipped.
        if (byte === 0x3b || byte === 0x20 || byte === 0x09 || byte === CR) return Chunked.Extension;
        return undefined;
      }
      case Chunked.DataCr:
        if (byte === CR) return Chunked.DataLf;
        return byte === LF ? Chunked.Size : undefined;
      case Chunked.DataLf:
        return byte === LF ? Chunked.Size : undefined;
      case Chunked.TrailerStart:
        if (byte === CR) return Chunked.TrailerEmptyLf;
        if (byte === LF) return Chunked.Done;
        lineBytes = 1;
        return Chunked.Trailer;
      case Chunked.TrailerEmptyLf:
        return byte === LF ? Chunked.Done : undefined;
      default:
        return undefined;
    }
  }

  /** After a chunk-size line: data follows, or (size 0) the trailers. */
  function sizeLineDone(): Chunked {
    if (size === 0) {
      lineBytes = 0;
      return Chunked.TrailerStart;
    }
    remaining = size;
    return Chunked.Data;
  }

  return reader;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
