// Runs each message through its exchange's operator. Dummy returns the message as is (no
// Observable, no allocation). Otherwise the operator runs on the message; if it completes at
// once its output goes straight on, else a promise holds the stream's write callback, so a
// delayed or hung message pauses the socket instead of piling up in memory.
import { identity, of, type Subscription } from 'rxjs';
import { many, type Many } from 'stream-chain/defs.js';
import type { Direction, Message } from '../contract/message.js';
import type { ExchangeLedger, MessageOperator } from './exchanges.js';
import type { Outgoing } from './outgoing.js';

export type StageResult = Message | Many<Outgoing> | Promise<Many<Outgoing>>;

export interface StageHost {
  readonly ledger: ExchangeLedger;
  /** Subscriptions end with the connection, so no timer outlives it. */
  readonly subscriptions: Subscription;
  /** An operator failed (a plugin bug): the connection is closed and the failure logged once. */
  fail(direction: Direction, error: unknown): void;
  /** Writes what `direction` has queued: a held message must not hold back those before it. */
  flush(direction: Direction): void;
}

/** Output collected for the message being processed on each direction (see ConnectionControl.closeBoth). */
export type ActiveRuns = Record<Direction, Outgoing[] | undefined>;

/** The behavior stage of one direction, as a direction pipeline uses it. */
export interface BehaviorStage {
  /** Runs `message` through its exchange's operator. */
  run(message: Message): StageResult;
  /**
   * Whether `message` goes on unchanged (its exchange is dummy, or it is outside exchanges):
   * the direction then hands it to the writer itself, without a trip through the executor.
   */
  passes(message: Message): boolean;
}

/**
 * The behavior stage of a connection's direction. A class, not closures: a connection makes
 * two, and closures over their state cost a context and a function object each.
 */
export class OperatorStage implements BehaviorStage {
  /** The exchange of the last message seen, and its operator (looked up once per exchange). */
  private exchange = -1;
  private operator: MessageOperator = identity;

  constructor(
    private readonly direction: Direction,
    private readonly host: StageHost,
    private readonly runs: ActiveRuns,
  ) {}

  run(message: Message): StageResult {
    const current = this.operatorOf(message);
    return current === identity ? message : runOperator(this.direction, current, message, this.host, this.runs);
  }

  passes(message: Message): boolean {
    return this.operatorOf(message) === identity;
  }

  private operatorOf(message: Message): MessageOperator {
    if (message.exchange !== this.exchange) {
      this.exchange = message.exchange;
      this.operator = this.exchange === 0 ? identity : this.host.ledger.operatorFor(this.exchange, this.direction);
    }
    return this.operator;
  }
}

function runOperator(direction: Direction, operator: MessageOperator, message: Message, host: StageHost, runs: ActiveRuns): StageResult {
  const out: Outgoing[] = [];
  let settled = false;
  let resolvePending: ((value: Many<Outgoing>) => void) | undefined;
  const finish = (): Many<Outgoing> => {
    runs[direction] = undefined;
    if (message.last) out.push({ kind: 'side-done', exchange: message.exchange });
    return many(out);
  };
  runs[direction] = out;
  let subscription: Subscription | undefined;
  subscription = of(message)
    .pipe(operator)
    .subscribe({
      next: (item) => out.push(item),
      error: (error: unknown) => {
        settled = true;
        out.length = 0;
        host.fail(direction, error);
        resolvePending?.(finish());
      },
      complete: () => {
        settled = true;
        if (subscription !== undefined) host.subscriptions.remove(subscription);
        resolvePending?.(finish());
      },
    });
  if (settled) return finish();
  host.flush(direction);
  host.subscriptions.add(subscription);
  return new Promise((resolve) => {
    resolvePending = resolve;
  });
}
