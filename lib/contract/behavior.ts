// The behavior plugin contract: a factory of RxJS operators. An operator is subscribed once per
// side of each exchange its behavior is drawn for (or, with `scope: 'stream'`, once per
// direction of a connection) to the stream of that side's messages, so RxJS operators mean what
// RxJS documents. `identity` means "pass through" and costs nothing (no Observable is made).
import type { MonoTypeOperatorFunction, Observable, OperatorFunction } from 'rxjs';
import type { Logger } from '../log.js';
import type { Rng } from '../rng.js';
import type { Direction, Message } from './message.js';
import type { OptionTable, OptionValues } from './options.js';
import type { ProtocolDefinition } from './protocol.js';

/** What a behavior may do to its connection besides transforming messages. */
export interface ConnectionControl {
  /**
   * Answers the client in this exchange's turn: after the answers to earlier exchanges, before
   * those of later ones. With `close`, the connection closes once the answer is sent. (Stream
   * behaviors have no exchange: their reply goes after what the client was already sent.)
   */
  reply(bytes: Buffer, options?: { readonly close?: boolean }): void;
  /** Closes the client connection now (and with it the backend's); nothing more is forwarded. */
  closeClient(): void;
  /** Closes both connections once what this side already emitted has been written. */
  closeBoth(): void;
  /** Resets both connections now (TCP RST): the peers see "connection reset". */
  reset(): void;
}

/** `exchange`: one side of each exchange the behavior is drawn for; `stream`: a whole direction. */
export type BehaviorScope = 'exchange' | 'stream';

/** Everything an operator factory gets for one side of one exchange (or one direction). */
export interface BehaviorContext<O extends OptionValues = OptionValues> {
  readonly direction: Direction;
  /** The exchange this side belongs to; 0 for a stream behavior. */
  readonly exchange: number;
  /** 'response' when the server spoke first (an SMTP greeting): the exchange has no request. */
  readonly opener: Direction;
  readonly options: Readonly<O>;
  readonly protocol: ProtocolDefinition;
  readonly connection: ConnectionControl;
  readonly rng: Rng;
  readonly log: Logger;
  /** How many exchanges this proxy gave to this behavior before this one (warmup, agitate). */
  readonly exchangesSoFar: number;
  /**
   * Drops every message it gets, for good, and tells the engine so: use it instead of
   * `ignoreElements()` where a side may be big (see "What an operator holds" in `operator`).
   */
  readonly discard: OperatorFunction<Message, never>;
  /**
   * Stream behaviors: emits once, then completes, when the behavior is taken out of force on a
   * connection that goes on (removed, or replaced by a new version of its options), just before
   * its source completes. What follows it waits until it has emitted what it holds, so an
   * operator that holds messages (a latency, a rate) should let them go at once: Toxiproxy's
   * toxics do. Never emits for an exchange behavior, nor when the direction simply ends.
   */
  readonly takenOut: Observable<void>;
}

/**
 * A behavior plugin.
 *
 * `operator(context)` returns an RxJS operator. The engine subscribes it once per side of each
 * exchange the behavior is drawn for (`scope: 'stream'`: once per direction of each connection,
 * for as long as the behavior stays in force), to an Observable of that side's messages:
 * - **next**: each message of the side, in order, as the framer cuts it (`first` and `last` mark
 *   the edges; `map((m, i) => ...)` sees `i = 0, 1, 2...`). The source is hot: an operator that
 *   subscribes to it late misses what came before.
 * - **complete**: when the side is over (its last message, or the connection's end of stream).
 *   The side counts as done once the operator completes too: later exchanges of the direction
 *   wait for it, so `delay(100)` holds this exchange and those behind it, never reorders them.
 * - **what it emits** is forwarded, at once, in order; what it does not emit is not forwarded
 *   (`take(1)` forwards the first message only; `filter` drops). An operator that never
 *   completes holds its direction (that is `hang`).
 * - **error**: an operator that errors closes the connection, logged once.
 * - **unsubscribe**: closing the connection unsubscribes every operator: no timer outlives it.
 * - **What an operator holds.** RxJS has no backpressure, so the engine counts the bytes a
 *   subscription was given and has not let go of (emitted, or emitted something given after
 *   them). Past 256 KiB, reading that direction pauses until it lets go. Messages dropped with
 *   `context.discard` are let go at once; messages dropped otherwise are let go when the side
 *   ends, so a side bigger than that, dropped with `filter` or `ignoreElements`, stalls.
 *
 * @example
 * import { identity, delay } from 'vaurien/rxjs';
 * export const slow = defineBehavior<{ ms: number }>({
 *   name: 'slow', description: 'Holds each request', options: { ms: { type: 'int', default: 50, description: 'Wait (ms)' } },
 *   operator: ({ direction, options }) => (direction === 'request' ? delay(options.ms) : identity),
 * });
 */
export interface BehaviorDefinition<O extends OptionValues = OptionValues> {
  readonly name: string;
  readonly description: string;
  readonly options: OptionTable<O>;
  /** Default `exchange`. */
  readonly scope?: BehaviorScope;
  /** Called once per side of each exchange the behavior is drawn for (per direction for stream behaviors). */
  operator(context: BehaviorContext<O>): MonoTypeOperatorFunction<Message>;
}

/** Identity helper that checks a behavior definition against its option type. */
export function defineBehavior<O extends OptionValues>(definition: BehaviorDefinition<O>): BehaviorDefinition<O> {
  return definition;
}
