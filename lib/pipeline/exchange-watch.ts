// What the engine tells a watcher (the fault log) about an exchange given a behavior: its first
// messages, its operators, its behavior's control calls, and its end. Asked only for exchanges the
// ledger tracks, on connections given an observer: a dummy exchange pays nothing.
import type { ConnectionControl } from '../contract/behavior.js';
import type { Direction, Message } from '../contract/message.js';
import type { ExchangePick, MessageOperator } from './exchanges.js';

/** One exchange, as a watcher sees it. Each method is called at most as often as said. */
export interface ExchangeWatch {
  /** A side's first message reached the exchange stage (once per side). */
  began(direction: Direction, first: Message): void;
  /** The side's operator (never `identity`), to be subscribed in its place: a watcher times it. */
  operator(direction: Direction, operator: MessageOperator): MessageOperator;
  /** The control the side's behavior gets, to be given in its place: a watcher sees the calls. */
  control(direction: Direction, control: ConnectionControl): ConnectionControl;
  /** One side is over (its last message went on or was dropped, and its operator finished). */
  sideDone(direction: Direction): void;
  /** `latest` pairing (tcp): a newer exchange opened; backend bytes belong to it from now on. */
  superseded(): void;
  /** The ledger forgot the exchange: both sides over, out of the `latest` window, or the connection closed. Once. */
  over(): void;
}

/** Decides which exchanges are watched; one per connection (the connection itself, in the proxy). */
export interface ExchangeObserver {
  /** `exchange` was just opened and given `pick`: its watch, or undefined to leave it alone. */
  watch(exchange: number, pick: ExchangePick, opener: Direction): ExchangeWatch | undefined;
}
