// The per-connection ledger of exchanges, shared by both directions: numbers exchanges as framers
// open them, draws each one's behavior in opening order (a seed replays), pairs responses with
// requests, builds each side's operator once. Dummy exchanges leave no trace (nor get a watch).
import Denque from 'denque';
import { identity, type MonoTypeOperatorFunction } from 'rxjs';
import type { BehaviorContext } from '../contract/behavior.js';
import type { Direction, Message, MessageInfo } from '../contract/message.js';
import type { ExchangeOpening, ForwardedRequest, FramerContext, Pairing, TlsSwitch } from '../contract/protocol.js';
import type { BehaviorChoice } from '../choose/picker.js';
import type { Logger } from '../log.js';
import type { ExchangeObserver, ExchangeWatch } from './exchange-watch.js';

export type MessageOperator = MonoTypeOperatorFunction<Message>;

/** The behavior an exchange was given, with the count the behavior had reached. */
export interface ExchangePick {
  readonly choice: BehaviorChoice;
  readonly exchangesSoFar: number;
  /** A further behavior the exchange gets, its operator applied after this one's (a server's toxics, in order). */
  readonly then?: ExchangePick | undefined;
}

export interface LedgerHooks {
  /** Draws the behavior of `exchange`, just opened; undefined for dummy. */
  choose(exchange: number): ExchangePick | undefined;
  /** The context an operator factory gets for one side of an exchange. */
  contextFor(exchange: number, direction: Direction, pick: ExchangePick, opener: Direction): BehaviorContext;
  /** A behavior acted on an exchange (counted once per exchange). */
  countFault(behavior: string): void;
  /** The server spoke first and opened `exchange` (a greeting): answers to later exchanges come after it. */
  serverOpened?(exchange: number): void;
  /** A framer saw the protocol switch to TLS (`FramerContext.startTls`): true when it is terminated. */
  startTls?(tlsSwitch: TlsSwitch): boolean;
}

interface Entry {
  readonly pick: ExchangePick;
  readonly opener: Direction;
  request?: MessageOperator;
  response?: MessageOperator;
  forwarded: boolean;
  requestDone: boolean;
  responseDone: boolean;
  /** Which behaviors of the pick (bit i: the i-th of the chain) were counted as faults. */
  faultsCounted: number;
  /** What the observer watches of this exchange (undefined: nobody). */
  readonly watch: ExchangeWatch | undefined;
}

/** Never written to: the entries of a ledger that has none yet. */
const NO_ENTRIES: ReadonlyMap<number, Entry> & Map<number, Entry> = new Map<number, Entry>();

/** How far back a `latest` protocol (tcp) may still refer to an exchange. */
const LATEST_WINDOW = 64;

export class ExchangeLedger {
  latestExchange = 0;
  /**
   * Forwarded requests whose answer is not written yet (`ordered` pairing only); the first
   * `handedOut` were given to the response framer. The answer order is seeded from them when the
   * proxy first answers by itself: until then a connection keeps one queue, not two.
   */
  private readonly forwarded: Denque<ForwardedRequest> | undefined;
  private handedOut = 0;
  /** The exchanges with a behavior; a shared empty map until the first one (most connections have none). */
  private entries: Map<number, Entry> = NO_ENTRIES;

  constructor(
    private readonly pairing: Pairing,
    private readonly hooks: LedgerHooks,
    readonly log: Logger,
    /** The protocol's `handshake` option: handshake exchanges are drawn a behavior too. */
    private readonly drawsHandshakes = false,
    /** Told about each tracked exchange (the fault log); absent: nothing is watched. */
    private readonly observer?: ExchangeObserver,
  ) {
    if (pairing === 'ordered') this.forwarded = new Denque<ForwardedRequest>();
  }

  /** What the framers of the connection see of the ledger. */
  framerContext(): FramerContext {
    return new LedgerView(this);
  }

  /** A framer saw the protocol switch to TLS: true when the connection terminates it. */
  startTls(tlsSwitch: TlsSwitch): boolean {
    return this.hooks.startTls?.(tlsSwitch) === true;
  }

  /** The oldest forwarded request not yet handed to the response framer (`ordered` pairing). */
  nextForwarded(): ForwardedRequest | undefined {
    const request = this.forwarded?.peekAt(this.handedOut);
    if (request !== undefined) this.handedOut++;
    return request;
  }

  /** Forwarded requests whose answer is not written yet, oldest first. */
  awaitingAnswers(): ForwardedRequest[] {
    return this.forwarded?.toArray() ?? [];
  }

  /** How many forwarded requests await their answer. */
  get awaitingCount(): number {
    return this.forwarded?.length ?? 0;
  }

  /** The answer to `exchange` was written (or dropped): its request no longer awaits one. */
  answerWritten(exchange: number): void {
    const forwarded = this.forwarded;
    if (forwarded === undefined) return;
    const head = forwarded.peekFront();
    // Requests are forwarded in exchange order: one older than the oldest never went to the
    // backend (a quiet memcache command closed by its batch's end, a request answered by the proxy).
    if (head === undefined || exchange < head.exchange) return;
    let at = 0;
    if (head.exchange !== exchange) {
      // Not the oldest (rare: an answer cut short); search for it.
      at = forwarded.toArray().findIndex((request) => request.exchange === exchange);
      if (at === -1) return;
      forwarded.removeOne(at);
    } else {
      forwarded.shift();
    }
    if (at < this.handedOut) this.handedOut--;
  }

  /** `opener` is the side whose framer opened it: 'response' when the server speaks first. */
  openExchange(opener: Direction = 'request', handshake = false): number {
    const exchange = ++this.latestExchange;
    const pick = handshake && !this.drawsHandshakes ? undefined : this.hooks.choose(exchange);
    if (pick !== undefined) {
      const watch = this.observer?.watch(exchange, pick, opener);
      if (this.entries === NO_ENTRIES) this.entries = new Map();
      this.entries.set(exchange, { pick, opener, forwarded: false, requestDone: false, responseDone: false, faultsCounted: 0, watch });
    }
    if (this.pairing === 'latest' && this.entries.size > 0) {
      if (this.observer !== undefined) this.supersede(exchange);
      this.entries.delete(exchange - LATEST_WINDOW);
    }
    if (opener === 'response') this.hooks.serverOpened?.(exchange);
    return exchange;
  }

  /**
   * The request writer sent the first bytes of `exchange` to the backend (`ordered` pairing):
   * returns the record the response framer will be handed (the answer order keeps the same
   * object as the exchange's slot: one object per forwarded request, not two).
   */
  noteForwarded(exchange: number, info: MessageInfo | undefined): ForwardedRequest {
    const request: ForwardedRequest = { exchange, info };
    this.forwarded?.push(request);
    if (this.entries.size > 0) {
      const entry = this.entries.get(exchange);
      if (entry !== undefined) entry.forwarded = true;
    }
    return request;
  }

  /** True when `exchange` got a behavior (or is watched): false for a dummy exchange. */
  tracks(exchange: number): boolean {
    return this.entries.size > 0 && this.entries.has(exchange);
  }

  /** True when no exchange got a behavior (or is watched) now. */
  tracksNone(): boolean {
    return this.entries.size === 0;
  }

  /** The operator for one side of an exchange (`first`: its first message); `identity` for dummy (and for exchange 0). */
  operatorFor(exchange: number, direction: Direction, first?: Message): MessageOperator {
    if (this.entries.size === 0) return identity;
    const entry = this.entries.get(exchange);
    if (entry === undefined) return identity;
    let operator = entry[direction];
    if (operator === undefined) {
      operator = this.operatorOf(entry, exchange, direction, entry.pick, 0);
      const { watch } = entry;
      if (watch !== undefined) {
        if (first !== undefined) watch.began(direction, first);
        if (operator !== identity) operator = watch.operator(direction, operator);
      }
      entry[direction] = operator;
    }
    return operator;
  }

  /** `pick`'s operator composed with those of the picks after it; a behavior acting is counted once per exchange. */
  private operatorOf(entry: Entry, exchange: number, direction: Direction, pick: ExchangePick, at: number): MessageOperator {
    const context = this.hooks.contextFor(exchange, direction, pick, entry.opener);
    const { watch } = entry;
    const own = pick.choice.definition.operator(watch === undefined ? context : { ...context, connection: watch.control(direction, context.connection) });
    const bit = 1 << Math.min(at, 30);
    if (own !== identity && (entry.faultsCounted & bit) === 0) {
      entry.faultsCounted |= bit;
      this.hooks.countFault(pick.choice.definition.name);
    }
    if (pick.then === undefined) return own;
    const rest = this.operatorOf(entry, exchange, direction, pick.then, at + 1);
    if (rest === identity) return own;
    return own === identity ? rest : (source) => rest(own(source));
  }

  /** One side of `exchange` is over; the entry goes once both are. */
  sideDone(exchange: number, direction: Direction): void {
    if (this.entries.size === 0) return;
    const entry = this.entries.get(exchange);
    if (entry === undefined) return;
    if (direction === 'request') {
      entry.requestDone = true;
      // Not forwarded (answered by the proxy, or swallowed): no response will come for it.
      if (!entry.forwarded && this.pairing === 'ordered') entry.responseDone = true;
    } else {
      entry.responseDone = true;
      // A greeting (opened by the server) has no request side.
      if (entry.opener === 'response') entry.requestDone = true;
    }
    entry.watch?.sideDone(direction);
    if (entry.requestDone && entry.responseDone) {
      this.entries.delete(exchange);
      entry.watch?.over();
    }
  }

  /** The connection closed: every watched exchange still tracked is over. */
  stop(): void {
    if (this.observer === undefined) return;
    for (const entry of this.entries.values()) entry.watch?.over();
    this.entries.clear();
  }

  /** `latest` pairing: `exchange` opened, so the one before it is superseded and the oldest leaves the window. */
  private supersede(exchange: number): void {
    this.entries.get(exchange - 1)?.watch?.superseded();
    this.entries.get(exchange - LATEST_WINDOW)?.watch?.over();
  }

  /** Exchanges still tracked (tests use it to prove nothing leaks). */
  get trackedExchanges(): number {
    return this.entries.size;
  }
}

/**
 * A framer's view of its connection's ledger. A class: framers read `latestExchange` on every
 * chunk, and a getter on a shared prototype is inlined where a getter defined per connection
 * (an object literal's) went through a generic property lookup each time. The methods stay
 * bound to the instance, so a plugin may take them off the context.
 */
class LedgerView implements FramerContext {
  readonly log: Logger;
  readonly openExchange: (opening?: ExchangeOpening) => number;
  readonly nextForwarded: () => ForwardedRequest | undefined;
  readonly startTls: (tlsSwitch: TlsSwitch) => boolean;

  constructor(private readonly ledger: ExchangeLedger) {
    this.log = ledger.log;
    this.openExchange = (opening) => (opening === undefined ? ledger.openExchange() : ledger.openExchange(opening.opener, opening.handshake));
    this.nextForwarded = () => ledger.nextForwarded();
    this.startTls = (tlsSwitch) => ledger.startTls(tlsSwitch);
  }

  get latestExchange(): number {
    return this.ledger.latestExchange;
  }
}
