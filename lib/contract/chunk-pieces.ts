// A chunk cut into pieces of at most `size` bytes, each piece one message: what a framer returns
// for raw bytes (tcp) instead of making every piece itself. Iterated, it gives exactly those
// messages, each piece's exchange taken when the piece is reached. The proxy reads it without
// iterating: a piece that goes straight to the writer (a dummy exchange, no stream behavior) is
// written as a range of the chunk, no view or message made; the others get their message as
// before. Message boundaries are the same whichever way it is read.
import type { Direction, Message } from './message.js';

export class ChunkPieces implements Iterable<Message> {
  private constructor(
    readonly chunk: Buffer,
    readonly size: number,
    readonly direction: Direction,
    /** Opens the next piece's exchange; undefined: every piece belongs to `exchange`. */
    private readonly open: (() => number) | undefined,
    private readonly exchange: number,
    /** `first` of the first piece (the others are not first) when all share one exchange. */
    private readonly firstOfAll: boolean,
    /** `last` of the last piece (the others are not last) when all share one exchange. */
    private readonly lastOfAll: boolean,
  ) {}

  /** Each piece is a whole side of an exchange of its own, opened by `open` when the piece is reached (tcp's requests). */
  static eachOwnExchange(chunk: Buffer, size: number, direction: Direction, open: () => number): ChunkPieces {
    return new ChunkPieces(chunk, size, direction, open, 0, true, true);
  }

  /** The pieces continue one side of `exchange`: the first piece is `first`, the last is `last`. */
  static ofOneExchange(chunk: Buffer, size: number, direction: Direction, exchange: number, first: boolean, last: boolean): ChunkPieces {
    return new ChunkPieces(chunk, size, direction, undefined, exchange, first, last);
  }

  /** True when every piece belongs to one exchange (`ofOneExchange`). */
  get oneExchange(): boolean {
    return this.open === undefined;
  }

  /** The exchange of the piece that starts at `start`: opens it when each piece has its own, so call once per piece, in order. */
  exchangeAt(start: number): number {
    return this.open === undefined ? this.exchange : this.open();
  }

  isFirst(start: number): boolean {
    return this.open !== undefined || (this.firstOfAll && start === 0);
  }

  isLast(start: number): boolean {
    return this.open !== undefined || (this.lastOfAll && start + this.size >= this.chunk.length);
  }

  /** The piece at `start` (its exchange already taken) and those after it, each opened when reached. */
  *messagesFrom(start: number, exchange: number): Generator<Message> {
    for (let at = start; at < this.chunk.length; at += this.size) {
      const piece = at === start ? exchange : this.exchangeAt(at);
      yield { bytes: this.chunk.subarray(at, at + this.size), direction: this.direction, exchange: piece, first: this.isFirst(at), last: this.isLast(at) };
    }
  }

  [Symbol.iterator](): Iterator<Message> {
    return this.all();
  }

  private *all(): Generator<Message> {
    if (this.chunk.length > 0) yield* this.messagesFrom(0, this.exchangeAt(0));
  }
}
