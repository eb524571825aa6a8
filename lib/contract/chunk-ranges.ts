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
  // A chunk's only message is kept in fields; from a second one on, all are in two arrays. One
  // request at a time, a chunk holds one message, and making the arrays was most of its cost.
  private kept = 0;
  private start0 = 0;
  private end0 = 0;
  private exchange0 = 0;
  private flags0 = 0;
  private info0: MessageInfo | undefined;
  /** With two messages or more: STRIDE numbers per message. */
  private numbers: number[] | undefined;
  private infos: (MessageInfo | undefined)[] | undefined;
  /** The bytes of messages that are not a range of the chunk (made on first need). */
  private own: Buffer[] | undefined;
  /** Every message so far is a range, each starting where the one before ended (-1 once not). */
  private runEnd = -1;

  constructor(
    readonly chunk: Buffer,
    readonly direction: Direction,
  ) {}

  /** Messages kept. */
  get count(): number {
    return this.kept;
  }

  /** Adds the message whose bytes are [start, end) of the chunk. */
  add(start: number, end: number, exchange: number, first: boolean, last: boolean, info?: MessageInfo, noReply?: boolean): void {
    this.keep(start, end, exchange, flagsOf(first, last, noReply), info);
  }

  /** Adds a message with bytes of its own (not a range of the chunk). */
  addBytes(bytes: Buffer, exchange: number, first: boolean, last: boolean, info?: MessageInfo, noReply?: boolean): void {
    const own = (this.own ??= []);
    own.push(bytes);
    this.keep(-own.length, 0, exchange, flagsOf(first, last, noReply), info);
  }

  /**
   * True when the messages are ranges of the chunk back to back, one run of bytes: the proxy can
   * write them in one go without looking at each (pipelined commands, a chunk of 16 GETs).
   */
  get isOneRun(): boolean {
    return this.runEnd !== -1;
  }

  /** True when message `at` is a range of the chunk (false: bytes of its own). */
  isRange(at: number): boolean {
    return this.startOf(at) >= 0;
  }

  startOf(at: number): number {
    const numbers = this.numbers;
    return numbers === undefined ? this.start0 : (numbers[at * STRIDE] as number);
  }

  endOf(at: number): number {
    const numbers = this.numbers;
    return numbers === undefined ? this.end0 : (numbers[at * STRIDE + 1] as number);
  }

  exchangeOf(at: number): number {
    const numbers = this.numbers;
    return numbers === undefined ? this.exchange0 : (numbers[at * STRIDE + 2] as number);
  }

  isLast(at: number): boolean {
    return (this.flagsOf(at) & LAST) !== 0;
  }

  isNoReply(at: number): boolean {
    return (this.flagsOf(at) & NO_REPLY) !== 0;
  }

  infoOf(at: number): MessageInfo | undefined {
    const infos = this.infos;
    return infos === undefined ? this.info0 : infos[at];
  }

  /** Message `at`, made. */
  messageAt(at: number): Message {
    const start = this.startOf(at);
    const flags = this.flagsOf(at);
    const bytes = start >= 0 ? this.chunk.subarray(start, this.endOf(at)) : ((this.own as Buffer[])[-start - 1] as Buffer);
    const message: { -readonly [K in keyof Message]: Message[K] } = { bytes, direction: this.direction, exchange: this.exchangeOf(at), first: (flags & FIRST) !== 0, last: (flags & LAST) !== 0 };
    const info = this.infoOf(at);
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

  private keep(start: number, end: number, exchange: number, flags: number, info: MessageInfo | undefined): void {
    const kept = this.kept++;
    this.runEnd = start >= 0 && (kept === 0 || start === this.runEnd) ? end : -1;
    if (kept === 0) {
      this.start0 = start;
      this.end0 = end;
      this.exchange0 = exchange;
      this.flags0 = flags;
      this.info0 = info;
      return;
    }
    if (kept === 1) {
      this.numbers = [this.start0, this.end0, this.exchange0, this.flags0, start, end, exchange, flags];
      this.infos = [this.info0, info];
      return;
    }
    (this.numbers as number[]).push(start, end, exchange, flags);
    (this.infos as (MessageInfo | undefined)[]).push(info);
  }

  private flagsOf(at: number): number {
    const numbers = this.numbers;
    return numbers === undefined ? this.flags0 : (numbers[at * STRIDE + 3] as number);
  }
}

function flagsOf(first: boolean, last: boolean, noReply: boolean | undefined): number {
  return (first ? FIRST : 0) | (last ? LAST : 0) | (noReply === true ? NO_REPLY : 0);
}
