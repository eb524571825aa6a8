// Reads LF-terminated lines (CRLF included) out of a stream of chunks, for text protocols.
// A line inside one chunk is a view of it; only a line straddling chunks is copied, once, when
// its LF arrives. Each byte is scanned once, so a long line arriving in pieces costs O(length).

const LF = 0x0a; // numeric needle: indexOf with a string needle is much slower

export class LineReader {
  /** Where the chunk continues after the line `read` returned. */
  next = 0;
  /** Where the line `find` found lies in the buffer it returned. */
  lineStart = 0;
  lineEnd = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;

  /** Bytes of an unfinished line kept so far (a framer compares it with its own limit). */
  get pendingBytes(): number {
    return this.partsLength;
  }

  /**
   * The line that ends in `chunk` at or after `from` (with its LF), or undefined when the
   * chunk ends first: then `chunk[from..]` is kept and the line goes on in the next chunk.
   */
  read(chunk: Buffer, from: number): Buffer | undefined {
    const holder = this.find(chunk, from);
    if (holder !== chunk) return holder;
    return chunk.subarray(this.lineStart, this.lineEnd);
  }

  /**
   * `read` without making a view: the buffer that holds the line, at [lineStart, lineEnd):
   * `chunk` itself when the line lies in it, else a copy of the pieces (the whole copy).
   */
  find(chunk: Buffer, from: number): Buffer | undefined {
    const at = chunk.indexOf(LF, from);
    if (at === -1) {
      if (from < chunk.length) {
        this.parts.push(chunk.subarray(from));
        this.partsLength += chunk.length - from;
      }
      this.next = chunk.length;
      return undefined;
    }
    this.next = at + 1;
    if (this.partsLength === 0) {
      this.lineStart = from;
      this.lineEnd = at + 1;
      return chunk;
    }
    this.parts.push(chunk.subarray(from, at + 1));
    const line = Buffer.concat(this.parts, this.partsLength + at + 1 - from);
    this.parts = [];
    this.partsLength = 0;
    this.lineStart = 0;
    this.lineEnd = line.length;
    return line;
  }

  /** Hands over the unfinished line kept so far (end of stream, or giving up on framing). */
  takePending(): Buffer {
    const pending = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    return pending;
  }
}
