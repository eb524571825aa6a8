// Public pieces to compose a proxy pipeline by hand with stream-chain, outside VaurienProxy:
// a protocol's framers (with the little exchange bookkeeping they need), a stage that runs each
// message through a behavior's operator, and a stage back to bytes. Framing never changes a
// byte, so `chain([framerStage(f), bytesStage])` gives back exactly its input.
import type { Socket } from 'node:net';
import { Subscription, identity, of, type MonoTypeOperatorFunction } from 'rxjs';
import { flushable, many, type Flushable, type Many } from 'stream-chain/defs.js';
import type { BehaviorContext, BehaviorDefinition, ConnectionControl } from '../contract/behavior.js';
import type { Direction, Message } from '../contract/message.js';
import { defaultsOf, type OptionValues } from '../contract/options.js';
import type { ForwardedRequest, Framer, FramerContext, ProtocolDefinition } from '../contract/protocol.js';
import { silentLogger, type Logger } from '../log.js';
import { mergeOptions } from '../options/option-types.js';
import { Behavior } from '../registry/behaviors.js';
import { Protocol } from '../registry/protocols.js';
import { createRng, randomSeed, type Rng } from '../rng.js';

/** One connection's two framers, sharing exchange numbering and request/response pairing. */
export interface FramerPair {
  readonly request: Framer;
  readonly response: Framer;
  readonly protocol: ProtocolDefinition;
  readonly options: OptionValues;
}

/**
 * Both framers of `protocol` for one connection. Requests count as forwarded as soon as they
 * are framed (a hand-made pipeline has no writer telling otherwise), so an `ordered` response
 * framer pairs each response with the oldest request still unanswered.
 * @example const { request, response } = createFramerPair('redis');
 */
export function createFramerPair(
  protocol: string | ProtocolDefinition,
  options: Readonly<Record<string, unknown>> = {},
  log: Logger = silentLogger,
): FramerPair {
  const definition = typeof protocol === 'string' ? Protocol.require(protocol, 'protocol') : protocol;
  const values = mergeOptions(definition.options, defaultsOf(definition.options), options, (name) => `${definition.name}.${name}`);
  const forwarded: ForwardedRequest[] = [];
  let latestExchange = 0;
  const context: FramerContext = {
    openExchange: () => ++latestExchange,
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return latestExchange;
    },
    log,
  };
  const framers = definition.createFramers(values, context);
  const rawRequest = framers.request;
  const noteForwarded = function* (messages: Iterable<Message>): Iterable<Message> {
    for (const message of messages) {
      if (message.first && message.exchange !== 0 && message.noReply !== true && definition.pairing === 'ordered') {
        forwarded.push({ exchange: message.exchange, info: message.info });
      }
      yield message;
    }
  };
  const request: Framer = { push: (chunk) => noteForwarded(rawRequest.push(chunk)), end: () => noteForwarded(rawRequest.end()) };
  return { request, response: framers.response, protocol: definition, options: values };
}

/** A stream-chain stage: Buffer chunks in, messages out (whatever is pending goes out at the end). */
export function framerStage(framer: Framer): Flushable<Buffer, Many<Message>> {
  return flushable(
    (chunk: Buffer) => many([...framer.push(chunk)]),
    () => many([...framer.end()]),
  ) as Flushable<Buffer, Many<Message>>;
}

/** A stream-chain stage: messages back to their bytes. */
export function bytesStage(message: Message): Buffer {
  return message.bytes;
}

/**
 * A stream-chain stage running each message through the operator `operatorFor` gives for it.
 * `identity` passes the message on untouched; an operator that waits (delay, hang) holds the
 * stage, so the stream's backpressure pauses the source meanwhile. Pending runs are added to
 * `subscriptions`: unsubscribe it when the connection ends, so no timer outlives it.
 */
export function operatorStage(
  operatorFor: (message: Message) => MonoTypeOperatorFunction<Message>,
  subscriptions: Subscription = new Subscription(),
): (message: Message) => Message | Many<Message> | Promise<Many<Message>> {
  return (message) => {
    const operator = operatorFor(message);
    if (operator === identity) return message;
    const out: Message[] = [];
    let settled = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const subscription = of(message)
      .pipe(operator)
      .subscribe({
        next: (item) => out.push(item),
        error: (error: unknown) => {
          settled = true;
          failure = error ?? new Error('operator failed');
          wake?.();
        },
        complete: () => {
          settled = true;
          wake?.();
        },
      });
    const result = (): Many<Message> => {
      if (failure !== undefined) throw failure;
      return many(out);
    };
    if (settled) return result();
    subscriptions.add(subscription);
    return new Promise<void>((resolve) => (wake = resolve)).then(() => {
      subscriptions.remove(subscription);
      return result();
    });
  };
}

export interface BehaviorOperatorsOptions {
  readonly direction: Direction;
  /** The protocol (a name or a definition), for error replies and corruption. */
  readonly protocol: string | ProtocolDefinition;
  /** Option values, checked against the behavior's table; defaults for the rest. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** What the behavior may do to the connection; `socketControl(client, backend)` for sockets. */
  readonly connection: ConnectionControl;
  readonly rng?: Rng;
  readonly log?: Logger;
}

/**
 * `operatorFor` for `operatorStage`: `behavior` applied to every exchange of one direction, its
 * operator built once per exchange, with `exchangesSoFar` counted as a proxy would (warmup).
 * Exchange 0 (outside any exchange) always passes unchanged.
 */
export function behaviorOperators(
  behavior: string | BehaviorDefinition,
  settings: BehaviorOperatorsOptions,
): (message: Message) => MonoTypeOperatorFunction<Message> {
  const definition = typeof behavior === 'string' ? Behavior.require(behavior, 'behavior') : behavior;
  const protocol = typeof settings.protocol === 'string' ? Protocol.require(settings.protocol, 'protocol') : settings.protocol;
  const options = mergeOptions(definition.options, defaultsOf(definition.options), settings.options ?? {}, (name) => `${definition.name}.${name}`);
  const rng = settings.rng ?? createRng(randomSeed());
  let exchange = -1;
  let operator: MonoTypeOperatorFunction<Message> = identity;
  let exchangesSoFar = 0;
  return (message) => {
    if (message.exchange === 0) return identity;
    if (message.exchange !== exchange) {
      exchange = message.exchange;
      const context: BehaviorContext = {
        direction: settings.direction,
        exchange,
        opener: 'request',
        options,
        protocol,
        connection: settings.connection,
        rng,
        log: settings.log ?? silentLogger,
        exchangesSoFar: exchangesSoFar++,
      };
      operator = definition.operator(context);
    }
    return operator;
  };
}

/**
 * A ConnectionControl over two sockets: `reply` writes to the client at once (a hand-made
 * pipeline keeps no response order), `closeClient` destroys both, `closeBoth` ends both.
 */
export function socketControl(client: Socket, backend?: Socket): ConnectionControl {
  return {
    reply(bytes, options) {
      if (client.destroyed || client.writableEnded) return;
      if (options?.close === true) client.end(bytes, () => backend?.destroy());
      else client.write(bytes);
    },
    closeClient() {
      client.destroy();
      backend?.destroy();
    },
    closeBoth() {
      client.end();
      backend?.end();
    },
  };
}
