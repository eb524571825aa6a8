// Marble tests of a behavior's operator (rxjs/testing's TestScheduler, virtual time): the
// messages of one side as marble letters, and a context whose connection records what the
// behavior asked of it, at which virtual time.
import assert from 'node:assert/strict';
import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { BehaviorContext, BehaviorDefinition } from '../../lib/contract/behavior.js';
import type { Direction, Message } from '../../lib/contract/message.js';
import { defaultsOf, type OptionValues } from '../../lib/contract/options.js';
import type { ProtocolDefinition } from '../../lib/contract/protocol.js';
import { silentLogger } from '../../lib/log.js';
import { discardInto } from '../../lib/pipeline/operator-run.js';
import { createRng } from '../../lib/rng.js';

/** A virtual-time scheduler whose assertions are node:assert's. */
export function marbleScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
}

/**
 * The messages of one side, one per letter of `letters`: the first is `first`, the last `last`.
 * @example sideMessages('request', 'abc') // { a: GET head, b: body, c: last body piece }
 */
export function sideMessages(direction: Direction, letters: string, exchange = 1): Record<string, Message> {
  const out: Record<string, Message> = {};
  [...letters].forEach((letter, at) => {
    out[letter] = { bytes: Buffer.from(`${letter}-bytes`), direction, exchange, first: at === 0, last: at === letters.length - 1 };
  });
  return out;
}

/** What a behavior asked of the connection, with the virtual time it asked. */
export interface ControlCall {
  readonly at: number;
  readonly call: 'reply' | 'closeClient' | 'closeBoth' | 'reset';
  readonly bytes?: string;
  readonly close?: boolean;
}

export interface MarbleContext<O extends OptionValues> {
  readonly context: BehaviorContext<O>;
  readonly calls: ControlCall[];
}

/** A context for `behavior` on one side, its connection recording calls against `scheduler`'s clock. */
export function marbleContext<O extends OptionValues>(
  scheduler: TestScheduler,
  behavior: BehaviorDefinition<O>,
  protocol: ProtocolDefinition,
  settings: { direction: Direction; options?: Partial<O>; exchangesSoFar?: number; opener?: Direction; takenOut?: Observable<void> },
): MarbleContext<O> {
  const calls: ControlCall[] = [];
  const record = (call: ControlCall['call'], extra: Omit<ControlCall, 'at' | 'call'> = {}): void => {
    calls.push({ at: scheduler.now(), call, ...extra });
  };
  const context: BehaviorContext<O> = {
    direction: settings.direction,
    exchange: 1,
    opener: settings.opener ?? 'request',
    options: { ...defaultsOf(behavior.options), ...settings.options } as O,
    protocol,
    connection: {
      reply: (bytes, options) => record('reply', { bytes: bytes.toString('latin1'), close: options?.close ?? false }),
      closeClient: () => record('closeClient'),
      closeBoth: () => record('closeBoth'),
      reset: () => record('reset'),
    },
    rng: createRng(1),
    log: silentLogger,
    exchangesSoFar: settings.exchangesSoFar ?? 0,
    // Outside an engine there is no run to let go of: it drops, as the engine's does.
    discard: discardInto(() => undefined),
    takenOut: settings.takenOut ?? NEVER,
  };
  return { context, calls };
}
