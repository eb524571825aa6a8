// The exchange stage of one direction: each side of an exchange whose behavior acts on it gets
// its operator subscribed once (an OperatorRun); sides of dummy exchanges pass straight on.
// Order holds across exchanges: a message of another exchange first ends the side in progress,
// then waits until its operator has finished emitting. Messages of a side already over (a
// PostgreSQL COPY's data, after its query) go on unchanged: a side's operator runs once.
import { identity } from 'rxjs';
import type { Direction, Message } from '../contract/message.js';
import type { MessageOperator } from './exchanges.js';
import { OperatorRun } from './operator-run.js';

/** Where the stage sends what goes on, and what it reports. */
export interface ExchangeStageSink {
  /** `message` goes on (it passed, or an operator emitted it). */
  forward(message: Message): void;
  /** This side of `exchange` is over: every message of it went on or was dropped. */
  sideDone(exchange: number): void;
  /** An operator failed: the connection closes. */
  failed(error: unknown): void;
}

/** Where the stage finds each exchange's operator (the connection's ledger). */
export interface OperatorSource {
  /** `first` is the side's first message here (an observer of the exchange summarises it). */
  operatorFor(exchange: number, direction: Direction, first: Message): MessageOperator;
  /** True when something acts on or watches `exchange` (absent: assume so); false for a dummy exchange. */
  tracks?(exchange: number): boolean;
  /** True when no exchange is tracked at all (absent: assume some are). */
  tracksNone?(): boolean;
}

export class ExchangeStage {
  /** The side whose operator runs now, and its exchange. */
  private active: OperatorRun | undefined;
  private activeExchange = -1;
  /** The exchange whose side ran an operator last and is over. */
  private overExchange = -1;
  /** The exchange of the last message looked up, and its operator (one lookup per exchange). */
  private exchange = -1;
  private operator: MessageOperator = identity;

  constructor(
    private readonly direction: Direction,
    private readonly operators: OperatorSource,
    private readonly sink: ExchangeStageSink,
  ) {}

  /** True when `message` goes on unchanged right now: no side in progress, a dummy exchange. */
  passes(message: Message): boolean {
    return this.active === undefined && this.operatorOf(message) === identity;
  }

  /**
   * `passes` for a message of `exchange` not made yet (a piece of ChunkPieces): true only for an
   * exchange nothing tracks, whose side never ran an operator here.
   */
  passesUntracked(exchange: number): boolean {
    return this.active === undefined && exchange !== this.overExchange && (exchange === 0 || this.operators.tracks?.(exchange) === false);
  }

  /** `passesUntracked` for every exchange at once: nothing tracked, no side ever ran an operator here. */
  passesAllUntracked(): boolean {
    return this.active === undefined && this.overExchange === -1 && this.operators.tracksNone?.() === true;
  }

  /** The run of `exchange`'s side, while it is in progress (for `context.discard`). */
  runOf(exchange: number): OperatorRun | undefined {
    return this.activeExchange === exchange ? this.active : undefined;
  }

  /** True while a side's operator is subscribed (graceful shutdown waits for it). */
  get busy(): boolean {
    return this.active !== undefined;
  }

  /** Undefined when `message` can be pushed now, else a promise that settles when it may be tried again. */
  wait(message: Message): Promise<void> | undefined {
    const active = this.active;
    if (active === undefined) return undefined;
    if (message.exchange === this.activeExchange) return active.room();
    // A message of another exchange: the side in progress is over.
    active.end();
    this.settle(active);
    return this.active === undefined ? undefined : active.whenFinished();
  }

  /** Takes `message` (after `wait` said it may). */
  push(message: Message): void {
    const active = this.active;
    if (active !== undefined) {
      active.feed(message);
      if (message.last) {
        active.end();
        this.settle(active);
      }
      return;
    }
    const operator = this.operatorOf(message);
    if (operator === identity || message.exchange === this.overExchange) {
      this.sink.forward(message);
      if (message.last && message.exchange !== 0 && message.exchange !== this.overExchange) this.sink.sideDone(message.exchange);
      return;
    }
    this.start(message.exchange, operator).feed(message);
    const run = this.active;
    if (message.last && run !== undefined) {
      run.end();
      this.settle(run);
    }
  }

  /** The source ended: the side in progress is over; settles once its operator finished. */
  end(): Promise<void> | undefined {
    const active = this.active;
    if (active === undefined) return undefined;
    active.end();
    this.settle(active);
    return this.active === undefined ? undefined : active.whenFinished();
  }

  /** The connection closed: the operator in progress is unsubscribed. */
  stop(): void {
    this.active?.stop();
    this.active = undefined;
  }

  private start(exchange: number, operator: MessageOperator): OperatorRun {
    this.active = undefined;
    this.activeExchange = exchange;
    // `finished` may come during the constructor (an operator that completes at once): the side
    // still takes the exchange's messages, dropped, and is done when its input ends.
    let run: OperatorRun | undefined;
    run = new OperatorRun(operator, {
      emit: (message) => this.sink.forward(message),
      finished: (error) => {
        if (error !== undefined) this.sink.failed(error);
        else this.settle(run);
      },
    });
    this.active = run;
    return run;
  }

  /** The side is done once its input ended and its operator finished. */
  private settle(run: OperatorRun | undefined): void {
    if (run === undefined || run !== this.active || !run.inputEnded || !run.isFinished) return;
    this.active = undefined;
    const exchange = this.activeExchange;
    this.activeExchange = -1;
    this.overExchange = exchange;
    if (exchange !== 0) this.sink.sideDone(exchange);
  }

  private operatorOf(message: Message): MessageOperator {
    if (message.exchange !== this.exchange) {
      this.exchange = message.exchange;
      this.operator = message.exchange === 0 ? identity : this.operators.operatorFor(message.exchange, this.direction, message);
    }
    return this.operator;
  }
}
