// The behavior plugin contract: a factory of RxJS operators. For each exchange the picker
// chooses one behavior; the stage asks it for the operator of each direction and runs every
// message of that side of the exchange through it. `identity` means "pass through" and costs
// nothing (no Observable is created).
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Logger } from '../log.js';
import type { Rng } from '../rng.js';
import type { Direction, Message } from './message.js';
import type { OptionTable, OptionValues } from './options.js';
import type { ProtocolDefinition } from './protocol.js';

/** What a behavior may do to its connection besides transforming messages. */
export interface ConnectionControl {
  /**
   * Answers the client in this exchange's turn: after the responses of earlier exchanges,
   * before those of later ones. With `close`, the connection closes once the answer is sent.
   */
  reply(bytes: Buffer, options?: { readonly close?: boolean }): void;
  /** Closes the client connection now (and with it the backend's); nothing more is forwarded. */
  closeClient(): void;
  /** Closes both connections once what this side already forwarded has been flushed. */
  closeBoth(): void;
}

/** Everything an operator factory gets for one side of one exchange. */
export interface BehaviorContext<O extends OptionValues = OptionValues> {
  readonly direction: Direction;
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
}

/**
 * A behavior plugin.
 * @example
 * export const slow = defineBehavior<{ ms: number }>({
 *   name: 'slow', description: 'Waits before each request', options: { ms: { type: 'int', default: 50, description: 'Wait (ms)' } },
 *   operator: ({ direction, options }) => (direction === 'request' ? delay(options.ms) : identity),
 * });
 */
export interface BehaviorDefinition<O extends OptionValues = OptionValues> {
  readonly name: string;
  readonly description: string;
  readonly options: OptionTable<O>;
  /** Called once per side of each exchange the behavior is picked for. */
  operator(context: BehaviorContext<O>): MonoTypeOperatorFunction<Message>;
}

/** Identity helper that checks a behavior definition against its option type. */
export function defineBehavior<O extends OptionValues>(definition: BehaviorDefinition<O>): BehaviorDefinition<O> {
  return definition;
}
