// One subscription of a behavior's operator: to one side of one exchange, or to one direction of
// a connection (stream behaviors). Messages are fed as they come to a hot source that completes
// when the side ends; what the operator emits goes to the sink at once. RxJS has no
// backpressure, so a run counts the bytes it was given and has not let go of: `room()` tells
// the direction to wait while that is over the limit.
import { Observable, Subject, type MonoTypeOperatorFunction, type OperatorFunction, type Subscription } from 'rxjs';
import type { Message } from '../contract/message.js';

/** Bytes a run may hold before its direction stops reading (see BehaviorDefinition). */
export const HOLD_LIMIT_BYTES = 256 * 1024;

export interface RunSink {
  /** The operator emitted `message`: forward it. */
  emit(message: Message): void;
  /** The operator completed (`error` undefined) or failed. Called at most once. */
  finished(error: unknown): void;
}

export class OperatorRun {
  /** The input has completed: the side is over as far as the source goes. */
  inputEnded = false;
  /** The operator completed, failed, or was stopped: it takes nothing more. */
  isFinished = false;
  private readonly input = new Subject<Message>();
  private readonly subscription: Subscription;
  /** Messages given and not let go of, oldest first: `held[i]` has sequence number `base + i`. */
  private held: Message[] = [];
  private base = 0;
  private head = 0;
  /** Where each held message stands, to let go of everything up to one the operator emits. */
  private readonly positions = new Map<Message, number>();
  private heldBytes = 0;
  /** Bytes of the oldest held message already let go of (an operator emitting new, smaller messages). */
  private partial = 0;
  private roomWaiters: Array<() => void> | undefined;
  private finishWaiters: Array<() => void> | undefined;

  constructor(
    operator: MonoTypeOperatorFunction<Message>,
    private readonly sink: RunSink,
    private readonly limit = HOLD_LIMIT_BYTES,
  ) {
    this.subscription = this.input.pipe(operator).subscribe({
      next: (message) => {
        if (this.isFinished) return;
        this.letGo(message);
        sink.emit(message);
      },
      error: (error: unknown) => this.finish(error ?? new Error('the operator failed')),
      complete: () => this.finish(undefined),
    });
    // An operator that completed at subscription (EMPTY) already unsubscribed itself.
    if (this.isFinished) this.subscription.unsubscribe();
  }

  /** Bytes given and not let go of. */
  get holding(): number {
    return this.heldBytes;
  }

  /** Gives the operator its next message (dropped once it finished or its input ended). */
  feed(message: Message): void {
    if (this.isFinished || this.inputEnded) return;
    const size = message.bytes.length;
    this.positions.set(message, this.base + this.held.length);
    this.held.push(message);
    this.heldBytes += size;
    this.input.next(message);
  }

  /** The side is over: the operator's source completes. */
  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (!this.isFinished) this.input.complete();
  }

  /** Undefined when the run holds at most `limit` bytes, else a promise that settles when it does. */
  room(limit = this.limit): Promise<void> | undefined {
    if (this.isFinished || this.heldBytes <= limit) return undefined;
    return new Promise((resolve) => (this.roomWaiters ??= []).push(resolve));
  }

  /** Undefined when the operator is finished, else a promise that settles when it is. */
  whenFinished(): Promise<void> | undefined {
    if (this.isFinished) return undefined;
    return new Promise((resolve) => (this.finishWaiters ??= []).push(resolve));
  }

  /** The operator dropped `message` for good (`context.discard`). */
  release(message: Message): void {
    this.letGo(message);
  }

  /** Ends the subscription without completing it (the connection closed). */
  stop(): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.subscription.unsubscribe();
    this.clear();
  }

  private finish(error: unknown): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.clear();
    this.sink.finished(error);
  }

  private clear(): void {
    this.held = [];
    this.positions.clear();
    this.heldBytes = 0;
    this.wake('room');
    this.wake('finish');
  }

  /** Lets go of `message` and, if it was given, of everything given before it. */
  private letGo(message: Message): void {
    if (this.heldBytes === 0) return;
    const at = this.positions.get(message);
    if (at === undefined) this.letGoBytes(message.bytes.length);
    else this.letGoUpTo(at - this.base);
    if (this.heldBytes <= this.limit || this.heldBytes === 0) this.wake('room');
  }

  private letGoUpTo(index: number): void {
    const held = this.held;
    for (let at = this.head; at <= index; at++) {
      const message = held[at] as Message;
      this.positions.delete(message);
      this.heldBytes -= message.bytes.length - this.partial;
      this.partial = 0;
    }
    this.head = index + 1;
    this.compact();
  }

  /** A message the operator made itself: as many bytes go, from the oldest held. */
  private letGoBytes(count: number): void {
    const held = this.held;
    while (count > 0 && this.head < held.length) {
      const message = held[this.head] as Message;
      const left = message.bytes.length - this.partial;
      if (count < left) {
        this.partial += count;
        this.heldBytes -= count;
        return;
      }
      count -= left;
      this.heldBytes -= left;
      this.partial = 0;
      this.positions.delete(message);
      this.head++;
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.held.length) {
      this.base += this.held.length;
      this.held = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.base += this.head;
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }

  private wake(which: 'room' | 'finish'): void {
    const waiters = which === 'room' ? this.roomWaiters : this.finishWaiters;
    if (waiters === undefined) return;
    if (which === 'room') this.roomWaiters = undefined;
    else this.finishWaiters = undefined;
    for (const resolve of waiters) resolve();
  }
}

/** `context.discard` for one run: drops every message and lets the run go of it. */
export function discardInto(run: () => OperatorRun | undefined): OperatorFunction<Message, never> {
  return (source) =>
    new Observable<never>((subscriber) =>
      source.subscribe({
        next: (message) => run()?.release(message),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
