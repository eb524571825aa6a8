// A chunk's messages kept as ranges of it: what a framer of a message protocol (redis) returns
// instead of an array of messages. Iterated, it gives exactly those messages. The proxy reads it
// without iterating: a message of a dummy exchange on a direction with no stream behavior is
// written as its range of the chunk, no view or message object made, since on pipelined traffic
// those were a third of the engine's work per value. A message whose bytes are not one range of
// the chunk (a value that straddled two chunks, an empty closing message) is kept as bytes.
import type { Direction, Message, MessageInfo } from './message.js';

const FIRST = 1;
const LAST = 2;
const NO_REPLY = 4;
/** Numbers kept per message: start (negative: -1 - the index of its own bytes), end, exchange, flags. */
const STRIDE = 4;

export class ChunkRanges implements Iterable<Message> {
  private readonly numbers: number[] = [];
  private readonly infos: (MessageInfo | undefined)[] = [];
  /** The bytes of messages that are not a range of the chunk (made on first need). */
  private own: Buffer[] | undefined;

  constructor(
    readonly chunk: Buffer,
    readonly direction: Direction,
  ) {}

  /** Messages kept. */
  get count(): number {
    return this.infos.length;
  }

  /** Adds the message whose bytes are [start, end) of the chunk. */
  add(start: number, end: number, exchange: number, first: boolean, last: boolean, info?: MessageInfo, noReply?: boolean): void {
    this.numbers.push(start, end, exchange, flagsOf(first, last, noReply));
    this.infos.push(info);
  }

  /** Adds a message with bytes of its own (not a range of the chunk). */
  addBytes(bytes: Buffer, exchange: number, first: boolean, last: boolean, info?: MessageInfo, noReply?: boolean): void {
    const own = (this.own ??= []);
    own.push(bytes);
    this.numbers.push(-own.length, 0, exchange, flagsOf(first, last, noReply));
    this.infos.push(info);
  }

  /** True when message `at` is a range of the chunk (false: bytes of its own). */
  isRange(at: number): boolean {
    return (this.numbers[at * STRIDE] as number) >= 0;
  }

  startOf(at: number): number {
    return this.numbers[at * STRIDE] as number;
  }

  endOf(at: number): number {
    return this.numbers[at * STRIDE + 1] as number;
  }

  exchangeOf(at: number): number {
    return this.numbers[at * STRIDE + 2] as number;
  }

  isLast(at: number): boolean {
    return ((this.numbers[at * STRIDE + 3] as number) & LAST) !== 0;
  }

  isNoReply(at: number): boolean {
    return ((this.numbers[at * STRIDE + 3] as number) & NO_REPLY) !== 0;
  }

  infoOf(at: number): MessageInfo | undefined {
    return this.infos[at];
  }

  /** Message `at`, made. */
  messageAt(at: number): Message {
    const base = at * STRIDE;
    const start = this.numbers[base] as number;
    const flags = this.numbers[base + 3] as number;
    const bytes = start >= 0 ? this.chunk.subarray(start, this.numbers[base + 1]) : ((this.own as Buffer[])[-start - 1] as Buffer);
    const message: { -readonly [K in keyof Message]: Message[K] } = { bytes, direction: this.direction, exchange: this.numbers[base + 2] as number, first: (flags & FIRST) !== 0, last: (flags & LAST) !== 0 };
    const info = this.infos[at];
    if (info !== undefined) message.info = info;
    if ((flags & NO_REPLY) !== 0) message.noReply = true;
    return message;
  }

  /** Messages from `at` on, each made when reached. */
  *messagesFrom(at: number): Generator<Message> {
    for (let index = at; index < this.count; index++) yield this.messageAt(index);
  }

  [Symbol.iterator](): Iterator<Message> {
    return this.messagesFrom(0);
  }
}

function flagsOf(first: boolean, last: boolean, noReply: boolean | undefined): number {
  return (first ? FIRST : 0) | (last ? LAST : 0) | (noReply === true ? NO_REPLY : 0);
}
