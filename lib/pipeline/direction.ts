// Drives one direction of a connection from its source socket: each chunk is framed, and its
// messages go through the direction's flow. Messages of dummy exchanges go from the framer
// straight to the writer (no Observable, no executor; pieces of a ChunkPieces and messages of a
// ChunkRanges as ranges of their chunk, not even made into messages); from the first message a
// behavior acts on, the rest of the chunk runs through stream-chain's `fun()`, whose stage waits
// when the flow says so (a side holding too much, an earlier side still emitting). The source is
// paused while a chunk waits, and while the target is over its high-water mark: chunks are framed
// strictly in order, one at a time, and the end of the source after the last chunk. At a
// protocol's switch to TLS the source is released (what was read and not framed handed back)
// and another fed.
import type { Readable } from 'node:stream';
import { none } from 'stream-chain';
import fun from 'stream-chain/fun.js';
import { ChunkPieces } from '../contract/chunk-pieces.js';
import { ChunkRanges } from '../contract/chunk-ranges.js';
import type { Direction, Message } from '../contract/message.js';
import type { Framer } from '../contract/protocol.js';
import type { DirectionFlow } from './direction-flow.js';

/** What a direction reports to its connection. */
export interface DirectionHost {
  /** A raw chunk arrived, before it is framed. */
  chunkArrived(direction: Direction): void;
  /** A framer threw (a plugin bug): the direction stops taking input. */
  fail(direction: Direction, error: unknown): void;
}

type Input = Buffer | typeof END;
const END = Symbol('end of source');
type RunResult = unknown;

export class DirectionPipeline {
  /** Inputs that came while a chunk waited (the source is paused then, so this stays short). */
  private waiting: Input[] | undefined;
  private busy = false;
  private stopped = false;
  private source: Readable | undefined;
  /** The executor of the slow path, made the first time a behavior acts on this direction. */
  private runIfMade: ((messages: unknown) => RunResult) | undefined;

  constructor(
    private readonly direction: Direction,
    private readonly framer: Framer,
    private readonly flow: DirectionFlow,
    private readonly host: DirectionHost,
  ) {}

  /** Reads `source` into the pipeline; the returned function detaches it (a backend going back to the pool). */
  feed(source: Readable): () => void {
    this.source = source;
    source.on('data', this.onData);
    source.on('end', this.onEnd);
    // A new source while a chunk waits (after a TLS switch) waits with it.
    if (this.busy) source.pause();
    return () => this.detach(source);
  }

  /**
   * Stops reading the source, whose socket is being secured (a TLS switch). With `takeQueued`,
   * hands back what was read from it and not framed yet, and whether its end came: bytes past
   * the switch, which are TLS. Without, those chunks stay and are framed as they came.
   */
  release(takeQueued: boolean): { readonly chunks: Buffer[]; readonly ended: boolean } {
    if (this.source !== undefined) this.detach(this.source);
    const queued = this.waiting;
    if (!takeQueued || queued === undefined) return { chunks: [], ended: false };
    this.waiting = undefined;
    const chunks: Buffer[] = [];
    let ended = false;
    for (const input of queued) {
      if (input === END) ended = true;
      else chunks.push(input);
    }
    return { chunks, ended };
  }

  /** The connection is over: nothing more runs, a waiting chunk never resumes the source. */
  stop(): void {
    this.stopped = true;
    this.waiting = undefined;
  }

  private readonly onData = (chunk: Buffer): void => this.accept(chunk);
  private readonly onEnd = (): void => this.accept(END);

  private accept(input: Input): void {
    if (this.stopped) return;
    if (this.busy) (this.waiting ??= []).push(input);
    else this.run(input);
  }

  /** Runs `input`, then whatever waited, until one has to wait. */
  private run(first: Input): void {
    for (let input: Input | undefined = first; input !== undefined && !this.stopped; input = this.waiting?.shift()) {
      let pending: Promise<unknown> | undefined;
      try {
        pending = input === END ? this.finish() : this.push(input);
      } catch (error) {
        this.fail(error);
        return;
      }
      if (pending !== undefined) {
        this.suspend(pending);
        return;
      }
    }
  }

  /** One chunk, once the target is below its high-water mark. */
  private push(chunk: Buffer): Promise<unknown> | undefined {
    const wait = this.flow.drained();
    return wait === undefined ? this.frame(chunk) : wait.then(() => this.frame(chunk));
  }

  private frame(chunk: Buffer): Promise<unknown> | undefined {
    const { flow } = this;
    this.host.chunkArrived(this.direction);
    flow.beginBatch();
    const framed = this.framer.push(chunk);
    if (framed instanceof ChunkRanges) return this.frameRanges(framed);
    if (framed instanceof ChunkPieces) return this.framePieces(framed);
    if (!Array.isArray(framed)) return this.runAll(framed[Symbol.iterator]());
    // An array (what the built-in framers return): read by index, no iterator made.
    const messages = framed as readonly Message[];
    for (let at = 0; at < messages.length; at++) {
      const message = messages[at] as Message;
      if (!flow.passes(message)) return this.runAll(messages.slice(at)[Symbol.iterator]());
      flow.pass(message);
    }
    flow.endBatch();
    return undefined;
  }

  /** Pieces that pass are written as ranges of their chunk; from the first that does not, messages run as usual. */
  private framePieces(pieces: ChunkPieces): Promise<unknown> | undefined {
    const { flow } = this;
    const { chunk, size } = pieces;
    // No piece at all, as iterating it gives: nothing passes, no side ends.
    if (chunk.length === 0) {
      flow.endBatch();
      return undefined;
    }
    if (pieces.oneExchange) {
      // One exchange: its pieces pass or not together, and pass as the chunk whole.
      const exchange = pieces.exchangeAt(0);
      if (!flow.passesRange(exchange)) return this.runAll(pieces.messagesFrom(0, exchange));
      flow.passRange(chunk, 0, chunk.length, exchange, pieces.isLast(chunk.length - 1), undefined, false);
      flow.endBatch();
      return undefined;
    }
    for (let start = 0; start < chunk.length; start += size) {
      const exchange = pieces.exchangeAt(start);
      if (!flow.passesRange(exchange)) return this.runAll(pieces.messagesFrom(start, exchange));
      flow.passRange(chunk, start, Math.min(start + size, chunk.length), exchange, pieces.isLast(start), undefined, false);
    }
    flow.endBatch();
    return undefined;
  }

  /** Messages that pass are written as ranges of their chunk (runs of them at once); from the first that does not, messages run as usual. */
  private frameRanges(ranges: ChunkRanges): Promise<unknown> | undefined {
    const { flow } = this;
    const { count } = ranges;
    for (let at = 0; at < count; ) {
      if (ranges.isRange(at) && flow.passesRange(ranges.exchangeOf(at))) {
        at = flow.passRun(ranges, at);
        continue;
      }
      // Bytes of its own (a value across two chunks), or a message something acts on: made,
      // then on as any message.
      const message = ranges.messageAt(at);
      if (!flow.passes(message)) return this.runAll(ranges.messagesFrom(at));
      flow.pass(message);
      at++;
    }
    flow.endBatch();
    return undefined;
  }

  /** The end of the source: the framer's leftovers, then the flow's end. */
  private finish(): Promise<unknown> | undefined {
    this.flow.beginBatch();
    const rest = this.runAll(this.framer.end()[Symbol.iterator]());
    const end = (): Promise<unknown> | undefined => this.flow.end();
    return rest === undefined ? end() : rest.then(end);
  }

  /**
   * Runs `messages` through the flow: those that pass go straight on, the rest through the
   * executor, whose stage waits whenever the flow says. Settles once all went through.
   */
  private runAll(messages: Iterator<Message>): Promise<unknown> | undefined {
    const { flow } = this;
    for (;;) {
      const next = messages.next();
      if (next.done === true) {
        flow.endBatch();
        return undefined;
      }
      if (!flow.passes(next.value)) {
        const result = this.executor(withFirst(next.value, messages));
        if (!isPromise(result)) {
          flow.endBatch();
          return undefined;
        }
        // What was queued before the wait goes now: a held message must not hold back those before it.
        flow.endBatch();
        return result.then(() => flow.endBatch());
      }
      flow.pass(next.value);
    }
  }

  /** stream-chain's executor over the flow's stage (documented `fun()`), made on first use. */
  private get executor(): (messages: unknown) => RunResult {
    return (this.runIfMade ??= fun((message: Message) => this.stage(message)) as (messages: unknown) => RunResult);
  }

  /** The one stage: waits until the flow can take `message`, then pushes it. */
  private stage(message: Message): typeof none | Promise<typeof none> {
    const wait = this.flow.wait(message);
    if (wait !== undefined) {
      // Written so far goes out before the direction waits.
      this.flow.writer.flush();
      return wait.then(() => this.stage(message));
    }
    this.flow.push(message);
    return none;
  }

  private suspend(running: Promise<unknown>): void {
    this.busy = true;
    this.source?.pause();
    running.then(
      () => {
        this.busy = false;
        if (this.stopped) return;
        const next = this.waiting?.shift();
        if (next !== undefined) this.run(next);
        if (!this.busy) this.source?.resume();
      },
      (error: unknown) => {
        this.busy = false;
        this.fail(error);
      },
    );
  }

  private detach(source: Readable): void {
    source.off('data', this.onData);
    source.off('end', this.onEnd);
    source.pause();
    if (this.source === source) this.source = undefined;
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stop();
    this.host.fail(this.direction, error);
  }
}

/** `first`, then the rest of `messages`, as one iterator (the executor iterates it lazily). */
function withFirst(first: Message, messages: Iterator<Message>): Iterator<Message> {
  let given = false;
  return {
    next() {
      if (given) return messages.next();
      given = true;
      return { done: false, value: first };
    },
    return(value?: unknown) {
      return messages.return?.(value) ?? { done: true, value: undefined };
    },
  };
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}
