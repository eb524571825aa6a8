// One direction of a connection: framer → behavior stage → writer. The behavior stage and the
// writer are a stream-chain pipeline run by stream-chain's own executor (`next` of its exec
// module, the engine inside `chain()`/`asStream`, over a fixed list: no list normalised per
// connection), fed straight from the source socket's 'data' events, without the Duplex that
// `chain()` wraps it in: that Duplex cost 2.1 KiB per direction per connection and a Writable's
// bookkeeping per chunk. The framer is called here, for each chunk and at the end of the
// source: messages of dummy exchanges go from it straight to the writer (see heldOnly), so a
// chunk whose messages all pass never enters the executor (its generic dispatch per value,
// promise? many? generator? final?, cost more than the rest of the chunk's trip); from the
// first held message on, the executor runs the rest of the chunk. The stages run synchronously
// unless a behavior holds a message; the writes of one chunk are flushed together once its
// messages are all through.
// Backpressure: when a stage returns a promise (a delayed message, or a target socket over its
// high-water mark before a new chunk is framed) the source socket is paused until the run
// settles. Chunks are framed strictly in order, one at a time; the end of the source is framed
// after the last chunk.
import type { Readable } from 'node:stream';
import { next } from 'stream-chain/exec.js';
import { none, type Fn } from 'stream-chain/defs.js';
import type { Direction, Message } from '../contract/message.js';
import type { Framer } from '../contract/protocol.js';
import type { SocketWriter } from '../proxy/socket-write.js';
import type { BehaviorStage } from './behavior-stage.js';
import type { Outgoing } from './outgoing.js';

export interface DirectionStages {
  readonly framer: Framer;
  readonly behavior: BehaviorStage;
  /** Where this direction writes. */
  readonly target: SocketWriter;
}

/**
 * What a direction reports to its connection, told which direction it is: one object (the
 * connection) serves both, with no closures made per connection.
 */
export interface DirectionHost {
  /** Queues an item's bytes on the direction's target (flushed at the end of each chunk). */
  writeOut(direction: Direction, item: Outgoing): void;
  /** A raw chunk arrived, before it is framed. */
  chunkArrived(direction: Direction): void;
  /** The source ended and everything it sent went through the stages (a stream's 'finish'). */
  sourceFinished(direction: Direction): void;
  /** A stage threw or rejected: the direction stops taking input. */
  fail(direction: Direction, error: unknown): void;
}

type Input = Buffer | typeof none;

/** The writer emits nothing; what reaches the executor's end is dropped. */
const discard = (): void => {};

export class DirectionPipeline {
  private readonly framer: Framer;
  private readonly behavior: BehaviorStage;
  private readonly target: SocketWriter;
  /** The stages after the framer as stream-chain's executor takes them, made the first time the executor runs (a held message, a framer that does not return arrays). */
  private stagesIfMade: Fn[] | undefined;
  /**
   * Inputs that arrived while a run was suspended. The source is paused then, so this stays
   * empty unless something else resumes it; if it does, order still holds.
   */
  private waiting: Input[] | undefined;
  private busy = false;
  private stopped = false;
  private source: Readable | undefined;

  constructor(
    private readonly direction: Direction,
    { framer, behavior, target }: DirectionStages,
    private readonly host: DirectionHost,
  ) {
    this.framer = framer;
    this.behavior = behavior;
    this.target = target;
  }

  /** Reads `source` into the pipeline; the returned function detaches it (a backend going back to the pool). */
  feed(source: Readable): () => void {
    this.source = source;
    source.on('data', this.onData);
    source.on('end', this.onEnd);
    return () => {
      source.off('data', this.onData);
      source.off('end', this.onEnd);
      source.pause();
      this.source = undefined;
    };
  }

  /** The connection is over: nothing more runs, a suspended run never resumes the source. */
  stop(): void {
    this.stopped = true;
    this.waiting = undefined;
  }

  private readonly onData = (chunk: Buffer): void => this.accept(chunk);
  private readonly onEnd = (): void => this.accept(none);

  private accept(input: Input): void {
    if (this.stopped) return;
    if (this.busy) (this.waiting ??= []).push(input);
    else this.run(input);
  }

  /** Runs `input`, then whatever waited, until one suspends. */
  private run(first: Input): void {
    for (let input: Input | undefined = first; input !== undefined && !this.stopped; input = this.waiting?.shift()) {
      let suspended: void | Promise<void>;
      try {
        suspended = input === none ? this.drain(this.passing(this.framer.end())) : this.push(input);
      } catch (error) {
        this.fail(error);
        return;
      }
      if (suspended !== undefined) {
        this.suspend(suspended, input);
        return;
      }
      this.ran(input);
    }
  }

  /** One chunk through the stages, once the target is below its high-water mark. */
  private push(chunk: Buffer): void | Promise<void> {
    const wait = this.target.drained();
    return wait === undefined ? this.frame(chunk) : wait.then(() => this.frame(chunk));
  }

  private frame(chunk: Buffer): void | Promise<void> {
    const { behavior, host, direction } = this;
    host.chunkArrived(direction);
    const framed = this.framer.push(chunk);
    if (!Array.isArray(framed)) return this.drain(this.passing(framed));
    // An array (what the built-in framers return): read by index, no iterator made.
    const messages = framed as readonly Message[];
    for (let at = 0; at < messages.length; at++) {
      const message = messages[at] as Message;
      if (!behavior.passes(message)) return this.drain(this.passing(messages.slice(at)));
      host.writeOut(direction, message);
    }
    this.target.flush();
    return undefined;
  }

  /** `messages` as the executor takes them, those that pass written on the way (heldOnly). */
  private passing(messages: Iterable<Message>): Iterator<Message> {
    return heldOnly(messages[Symbol.iterator](), this.behavior, this.host, this.direction, this.target);
  }

  /** The behavior stage and the writer, as the executor takes them. */
  private get stages(): Fn[] {
    // Typed one by one; the executor's list is untyped.
    return (this.stagesIfMade ??= [(message: Message) => this.behavior.run(message), (item: Outgoing) => this.host.writeOut(this.direction, item)] as Fn[]);
  }

  /** Writes the messages that pass; from the first held one on, the executor runs the rest. */
  private drain(messages: Iterator<Message>): void | Promise<void> {
    // As the executor does when a stage fails, the framer's iterator is closed (heldOnly then
    // flushes what the writer queued before the failing message).
    const close = (error: unknown): never => {
      messages.return?.();
      throw error;
    };
    let held: void | Promise<void>;
    try {
      const result = messages.next();
      if (result.done === true) return undefined;
      held = next(result.value, this.stages, 0, discard);
    } catch (error) {
      return close(error);
    }
    const rest = (): void | Promise<void> => next(messages, this.stages, 0, discard);
    return held === undefined ? rest() : held.then(rest, close);
  }

  /** `input` went through every stage. */
  private ran(input: Input): void {
    if (input === none) this.host.sourceFinished(this.direction);
  }

  private suspend(running: Promise<void>, input: Input): void {
    this.busy = true;
    this.source?.pause();
    running.then(
      () => {
        this.busy = false;
        if (this.stopped) return;
        this.ran(input);
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

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stop();
    this.host.fail(this.direction, error);
  }
}

/**
 * The framer's messages that a behavior acts on; those that go on unchanged (dummy exchanges)
 * are handed to the writer here, in order, without a trip through the executor: on pipelined
 * traffic that trip was the largest cost per message. stream-chain asks for the next message
 * only after the previous one reached the writer, so a held message holds those after it.
 * `target` is flushed once the last message has gone through.
 */
function heldOnly(messages: Iterator<Message>, behavior: BehaviorStage, host: DirectionHost, direction: Direction, target: SocketWriter): Iterator<Message> {
  return {
    next() {
      for (;;) {
        const result = messages.next();
        if (result.done === true) {
          target.flush();
          return result;
        }
        if (!behavior.passes(result.value)) return result;
        host.writeOut(direction, result.value);
      }
    },
    return(value?: unknown) {
      target.flush();
      return messages.return?.(value) ?? { done: true, value: undefined };
    },
  };
}
