// Finds the end of an SMTP DATA body, the line holding a single dot (`<CRLF>.<CRLF>`), in a
// body arriving in chunks of any size. Keeps only the last 4 bytes seen (copied), so a body of
// any size streams through; a terminator split across chunks is still found.

const END = Buffer.from('\r\n.\r\n');
/** The body starts at a line start, as if right after a CRLF: `.\r\n` at once is an empty body. */
const START = Buffer.from('\r\n');
const KEEP = END.length - 1;

export class DataEndFinder {
  private tail: Buffer = START;

  /** A new body begins. */
  reset(): void {
    this.tail = START;
  }

  /** The index in `chunk` just past the terminator found in `chunk[from..]`, or -1 (the body goes on). */
  find(chunk: Buffer, from: number): number {
    // A terminator that began in earlier bytes ends within this chunk's first 4 bytes.
    const probe = Buffer.concat([this.tail, chunk.subarray(from, from + KEEP)]);
    const straddling = probe.indexOf(END);
    if (straddling !== -1 && straddling < this.tail.length) return from + straddling + END.length - this.tail.length;
    const inside = chunk.indexOf(END, from);
    if (inside !== -1) return inside + END.length;
    // Copied: the tail must not keep the chunk alive.
    const rest = chunk.length - from;
    this.tail = rest >= KEEP ? Buffer.from(chunk.subarray(chunk.length - KEEP)) : Buffer.concat([this.tail, chunk.subarray(from)]).subarray(-KEEP);
    return -1;
  }
}
