// What one direction does with its messages once framed: the exchange stage (each side's
// operator), the connection's bookkeeping (forwarded requests, answer turns), the stream
// behaviors, then the writer. A message of a dummy exchange on a direction without stream
// behaviors goes straight from the framer to the writer (`passes` / `pass`): no Observable.
import type { ChunkRanges } from '../contract/chunk-ranges.js';
import type { Direction, Message, MessageInfo } from '../contract/message.js';
import type { SocketWriter } from '../proxy/socket-write.js';
import { ExchangeStage, type ExchangeStageSink, type OperatorSource } from './exchange-stage.js';
import { StreamStack, type StreamSink } from './stream-stack.js';

/** What a direction reports to its connection. */
export interface FlowHost {
  /**
   * `length` bytes of `exchange` leave the exchange stage towards the writer (forwarding and
   * answer-order bookkeeping): a message, or a range of a chunk written without one, with the
   * message's `info` and `noReply`.
   */
  forwarded(direction: Direction, exchange: number, length: number, info: MessageInfo | undefined, noReply: boolean | undefined): void;
  /** One side of `exchange` is over. */
  sideDone(direction: Direction, exchange: number): void;
  /**
   * `forwarded`, and `sideDone` where a message is its side's last, for the messages [from, to)
   * of `ranges`, ranges of dummy exchanges the flow then writes as one; `runWritten` follows the
   * write. False, having done nothing, when the connection needs them one at a time.
   */
  forwardedRun(direction: Direction, ranges: ChunkRanges, from: number, to: number): boolean;
  /** The run `forwardedRun` took was written. */
  runWritten(direction: Direction): void;
  /** An operator failed: the connection closes. */
  fail(direction: Direction, error: unknown): void;
  /** Everything the source sent went through every stage: the target may be ended. */
  finished(direction: Direction): void;
  /**
   * Undefined when `direction` may read on, else a promise that settles when it may: the
   * request direction waits while the answers the proxy makes itself back up (SPEC 9: an
   * injected reply obeys backpressure like forwarded bytes).
   */
  pressure(direction: Direction): Promise<void> | undefined;
}

export class DirectionFlow implements ExchangeStageSink, StreamSink {
  readonly exchanges: ExchangeStage;
  /** Made when a stream behavior is first put in force: most connections never have one. */
  private streamsIfMade: StreamStack | undefined;
  /** A chunk is being run: writes are flushed at its end, not one by one. */
  private batching = false;
  /** The connection closed: nothing more goes through. */
  private stopped = false;

  constructor(
    readonly direction: Direction,
    private readonly host: FlowHost,
    readonly writer: SocketWriter,
    operators: OperatorSource,
  ) {
    this.exchanges = new ExchangeStage(direction, operators, this);
  }

  /** The stream behaviors of this direction. */
  get streams(): StreamStack {
    return (this.streamsIfMade ??= new StreamStack(this));
  }

  /** True when `message` can go straight to the writer (see `pass`). */
  passes(message: Message): boolean {
    return (this.streamsIfMade === undefined || this.streamsIfMade.isEmpty) && this.exchanges.passes(message);
  }

  /** Writes a message `passes` said goes straight on. */
  pass(message: Message): void {
    if (this.stopped) return;
    this.host.forwarded(this.direction, message.exchange, message.bytes.length, message.info, message.noReply);
    this.writer.write(message.bytes);
    if (message.last && message.exchange !== 0) this.host.sideDone(this.direction, message.exchange);
  }

  /** `passes` for a message not made yet, of `exchange`: a piece of ChunkPieces, a range of ChunkRanges (see `passRange`). */
  passesRange(exchange: number): boolean {
    return (this.streamsIfMade === undefined || this.streamsIfMade.isEmpty) && this.exchanges.passesUntracked(exchange);
  }

  /** `pass` for the range [start, end) of `chunk`, without a message or a view of its own; `info` and `noReply` are what the message would have said. */
  passRange(chunk: Buffer, start: number, end: number, exchange: number, last: boolean, info: MessageInfo | undefined, noReply: boolean): void {
    if (this.stopped) return;
    this.host.forwarded(this.direction, exchange, end - start, info, noReply);
    this.writer.writeRange(chunk, start, end);
    if (last && exchange !== 0) this.host.sideDone(this.direction, exchange);
  }

  /**
   * `passRange` for message `from` of `ranges` (which `passesRange` let through) and for the
   * messages after it that continue it in the chunk and pass too: one write and one call for
   * their bookkeeping, not one of each per message (pipelined redis: 16 and more a chunk).
   * Returns the index after the last one passed.
   */
  passRun(ranges: ChunkRanges, from: number): number {
    const { chunk, count } = ranges;
    const start = ranges.startOf(from);
    let end: number;
    let to: number;
    if (from === 0 && ranges.isOneRun && this.exchanges.passesAllUntracked()) {
      // The first passed (no stream behavior, no side in progress), nothing is tracked, and
      // they are one run of the chunk: every one passes, no need to look at each.
      to = count;
      end = ranges.endOf(count - 1);
    } else {
      end = ranges.endOf(from);
      to = from + 1;
      while (to < count && ranges.isRange(to) && ranges.startOf(to) === end && this.passesRange(ranges.exchangeOf(to))) end = ranges.endOf(to++);
    }
    if (this.stopped) return to;
    if (to === from + 1 || !this.host.forwardedRun(this.direction, ranges, from, to)) {
      for (let at = from; at < to; at++) this.passRange(chunk, ranges.startOf(at), ranges.endOf(at), ranges.exchangeOf(at), ranges.isLast(at), ranges.infoOf(at), ranges.isNoReply(at));
      return to;
    }
    this.writer.writeRange(chunk, start, end);
    this.host.runWritten(this.direction);
    return to;
  }

  /** Undefined when a new chunk can be read now, else a promise that settles when it may. */
  drained(): Promise<void> | undefined {
    return this.writer.drained() ?? this.host.pressure(this.direction);
  }

  /** Undefined when `message` can be pushed now, else a promise that settles when it may be tried again. */
  wait(message: Message): Promise<void> | undefined {
    return this.exchanges.wait(message) ?? this.streamsIfMade?.wait() ?? this.host.pressure(this.direction);
  }

  /** Runs `message` through the stages (after `wait` said it may). */
  push(message: Message): void {
    if (!this.stopped) this.exchanges.push(message);
  }

  /** An answer the proxy makes (an error reply), entering after the exchange stage. */
  inject(message: Message): void {
    if (this.streamsIfMade === undefined) this.write(message);
    else this.streamsIfMade.push(message);
  }

  /** Runs `work` once everything this direction let through so far has been written. */
  afterDrain(work: () => void): void {
    const wait = this.streamsIfMade?.whenDrained();
    if (wait === undefined) {
      this.writer.flush();
      work();
    } else {
      void wait.then(() => this.afterDrain(work));
    }
  }

  /** The source ended: settles once the side in progress finished; then the stream behaviors end in turn. */
  end(): Promise<void> | undefined {
    if (this.stopped) return undefined;
    const wait = this.exchanges.end();
    if (wait === undefined) {
      this.endStreams();
      return undefined;
    }
    return wait.then(() => this.endStreams());
  }

  /** Writes are held until `endBatch` (a chunk's messages leave in one write). */
  beginBatch(): void {
    this.batching = true;
  }

  endBatch(): void {
    this.batching = false;
    this.writer.flush();
  }

  /** The connection closed: every operator is unsubscribed. */
  stop(): void {
    this.stopped = true;
    this.exchanges.stop();
    this.streamsIfMade?.stop();
  }

  /** True while an operator holds this direction (graceful shutdown waits for it). */
  get busy(): boolean {
    return this.exchanges.busy || (this.streamsIfMade !== undefined && !this.streamsIfMade.isDrained);
  }

  // ----- ExchangeStageSink and StreamSink -----

  forward(message: Message): void {
    if (this.stopped) return;
    this.host.forwarded(this.direction, message.exchange, message.bytes.length, message.info, message.noReply);
    if (this.streamsIfMade === undefined) this.write(message);
    else this.streamsIfMade.push(message);
  }

  sideDone(exchange: number): void {
    this.host.sideDone(this.direction, exchange);
  }

  failed(error: unknown): void {
    this.host.fail(this.direction, error);
  }

  write(message: Message): void {
    this.writer.write(message.bytes);
    if (!this.batching) this.writer.flush();
  }

  streamEnded(): void {
    this.host.finished(this.direction);
  }

  private endStreams(): void {
    if (this.streamsIfMade === undefined) this.streamEnded();
    else this.streamsIfMade.end();
  }
}
