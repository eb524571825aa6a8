// A connection's two pipelines, without its sockets: the protocol's framers, the exchange ledger
// (numbering, draws, pairing), each direction's flow (exchange stage, stream behaviors,
// writer), the answer order of `ordered` protocols, and the control a behavior gets. The proxy's
// Connection and a pipeline composed by hand (`createPipelines`) are both built on it.
import { identity, NEVER, Subject, type Observable } from 'rxjs';
import type { BehaviorContext, BehaviorDefinition, ConnectionControl } from '../contract/behavior.js';
import type { ChunkRanges } from '../contract/chunk-ranges.js';
import type { Direction, Message, MessageInfo } from '../contract/message.js';
import type { OptionValues } from '../contract/options.js';
import type { FramerPair, ProtocolDefinition, TlsSwitch } from '../contract/protocol.js';
import type { Logger } from '../log.js';
import { nameNumber, streamRng, type Rng } from '../rng.js';
import type { SocketWriter } from '../proxy/socket-write.js';
import { DirectionFlow, type FlowHost } from './direction-flow.js';
import type { ExchangeObserver } from './exchange-watch.js';
import { ExchangeLedger, type ExchangePick, type LedgerHooks } from './exchanges.js';
import { discardInto, type OperatorRun } from './operator-run.js';
import { ResponseOrder } from './response-order.js';
import type { StreamEntry } from './stream-stack.js';
import { TlsPassthrough } from './tls-passthrough.js';

/** A stream behavior in force on a connection. `key` names it across changes; a new `version` replaces it. */
export interface StreamBehavior {
  readonly key: string;
  readonly version: unknown;
  readonly definition: BehaviorDefinition;
  readonly options: OptionValues;
}

/** Counters a connection bumps (a proxy's stats); all optional for a hand-made pipeline. */
export interface TrafficCounters {
  readonly bytes: Record<Direction, number>;
  countFault(behavior: string): void;
}

/** What the pipelines ask of the sockets around them. */
export interface PipelinesHost {
  /** Draws the behavior of `exchange`, just opened (undefined: dummy). */
  choose(exchange: number): ExchangePick | undefined;
  /** A direction's source ended and all it sent went through: end its target (or pool the backend). */
  directionFinished(direction: Direction): void;
  /** An operator failed: the connection closes (logged once). */
  operatorFailed(direction: Direction, error: unknown): void;
  /** An answer is complete (the pool may take the backend back between exchanges). */
  answered(): void;
  /** Closes the client now, and the backend with it. */
  closeClient(): void;
  /** The target of `direction` gets FIN after what was written to it; the other side closes now. */
  endThenClose(direction: Direction): void;
  /** Resets both connections (RST). */
  reset(): void;
  /** Something about this connection a user should know (logged once per connection). */
  notice(line: string): void;
  /**
   * The protocol switches to TLS: the peer that sent the switch's message (the source of its
   * direction) speaks TLS from `rest` on. True when the host terminates it, securing that peer's
   * socket now; false or absent: the framers pass the rest through raw.
   */
  secureSource?(tlsSwitch: TlsSwitch): boolean;
  /** The switch's message went out to the target of `direction`: that peer's socket is secured now. */
  secureTarget?(direction: Direction): void;
}

export interface PipelinesOptions {
  readonly protocol: ProtocolDefinition;
  readonly protocolOptions: OptionValues;
  /** Where each direction writes: `request` to the backend, `response` to the client. */
  readonly toBackend: SocketWriter;
  readonly toClient: SocketWriter;
  readonly host: PipelinesHost;
  /**
   * Seeds what behaviors draw: each side of each exchange (and each stream behavior) gets a
   * generator of its own, so what one draws never depends on when another did.
   */
  readonly seed: number;
  readonly log: Logger;
  readonly counters?: TrafficCounters | undefined;
  /**
   * Directions whose source is TLS that vaurien terminates: their bytes are plaintext, so an
   * opening that looks like a TLS record is the protocol's own and is framed, not passed raw.
   */
  readonly decrypted?: Readonly<Record<Direction, boolean>> | undefined;
  /** Told about each exchange given a behavior (the fault log); absent: nothing is watched. */
  readonly observer?: ExchangeObserver | undefined;
}

/** `greeting` before the server's first exchange was opened. */
const GREETING_EXPECTED = -1;
/** The answer order's slot for the greeting (its exchange number may not be known when the slot is taken). */
const GREETING_SLOT = -1;

export class ConnectionPipelines implements LedgerHooks, FlowHost {
  readonly ledger: ExchangeLedger;
  readonly framers: FramerPair;
  readonly request: DirectionFlow;
  readonly response: DirectionFlow;
  private readonly ordered: boolean;
  private readonly host: PipelinesHost;
  private readonly counters: TrafficCounters | undefined;
  /**
   * Made when the proxy first answers by itself, from the ledger's requests awaiting answers:
   * until then the backend's answers are written in the order they come, which is theirs.
   */
  private orderIfMade: ResponseOrder | undefined;
  /** A request went to the backend (`ordered`): a greeting still to come takes the first turn. */
  private forwardedAny = false;
  private lastForwarded = 0;
  /** The proxy has answered the client itself (an error reply): its reading then waits on the client's. */
  private replied = false;
  /** Client bytes went to the backend outside any exchange: what they asked for cannot be told. */
  private forwardedUnframed = false;
  /**
   * The greeting of a server that speaks first, while not yet delivered whole: proxy answers
   * wait behind it, even answers to a client that spoke before it (-1: expected, not come yet;
   * 0: none pending).
   */
  private greeting: number;
  /** The stream behaviors in force, as each direction runs them (absent: identity there); made on first use. */
  private streamLinks: Record<Direction, Map<string, StreamEntry>> | undefined;
  /** TLS switches terminated: the exchange whose side, once written, secures its direction's target. */
  private tlsTargets: Partial<Record<Direction, number>> | undefined;

  constructor(private readonly options: PipelinesOptions) {
    const { protocol, host } = options;
    this.host = host;
    this.counters = options.counters;
    this.ordered = protocol.pairing === 'ordered';
    this.greeting = this.ordered && protocol.serverFirst === true ? GREETING_EXPECTED : 0;
    this.ledger = new ExchangeLedger(protocol.pairing, this, options.log, options.protocolOptions['handshake'] === true, options.observer);
    this.request = new DirectionFlow('request', this, options.toBackend, this.ledger);
    this.response = new DirectionFlow('response', this, options.toClient, this.ledger);
    const framers = protocol.createFramers(options.protocolOptions, this.ledger.framerContext());
    // Raw tcp has no frames to wait for: TLS through it is just bytes.
    const decrypted = options.decrypted;
    this.framers =
      protocol.name === 'tcp' || (decrypted?.request === true && decrypted.response)
        ? framers
        : new TlsPassthrough(framers, this, { request: decrypted?.request !== true, response: decrypted?.response !== true });
  }

  /** The gate of the framers saw TLS it cannot read: what follows passes raw (told once). */
  tlsSeen(direction: Direction): void {
    const protocol = this.options.protocol.name;
    this.host.notice(`TLS from the ${direction === 'request' ? 'client' : 'backend'}, which ${protocol} framing cannot read (vaurien does not terminate it here): the rest of this connection passes through raw, without behaviors`);
  }

  flow(direction: Direction): DirectionFlow {
    return direction === 'request' ? this.request : this.response;
  }

  /** Exchanges whose answer is still to be written. */
  get pendingAnswers(): number {
    if (this.orderIfMade !== undefined) return this.orderIfMade.pending;
    if (!this.forwardedAny) return 0;
    return this.ledger.awaitingCount + (this.greeting === 0 ? 0 : 1);
  }

  /**
   * The backend connection may go to another client (SPEC 9): nothing unframed was sent on it,
   * and the protocol says the session holds no state of this client.
   */
  get reusable(): boolean {
    return !this.forwardedUnframed && this.framers.reusable?.() !== false;
  }

  /** Between exchanges: no operator holds anything, no answer is awaited (`latest` protocols cannot tell answers). */
  get isBetweenExchanges(): boolean {
    return !this.request.busy && !this.response.busy && this.pendingAnswers === 0;
  }

  /** Puts `behaviors` in force on both directions; those gone are taken out, as Toxiproxy does, without losing a byte. */
  setStreamBehaviors(behaviors: readonly StreamBehavior[]): void {
    const streamLinks = (this.streamLinks ??= { request: new Map(), response: new Map() });
    for (const direction of ['request', 'response'] as const) {
      const links = streamLinks[direction];
      const entries: StreamEntry[] = [];
      const kept = new Map<string, StreamEntry>();
      for (const behavior of behaviors) {
        const known = links.get(behavior.key);
        const entry = known !== undefined && known.version === behavior.version ? known : this.streamEntry(behavior, direction);
        kept.set(behavior.key, entry);
        if (entry.operator !== identity) entries.push(entry);
      }
      streamLinks[direction] = kept;
      this.flow(direction).streams.set(entries);
    }
  }

  /** The connection closed: every operator is unsubscribed, then watched exchanges still open are over. */
  stop(): void {
    this.request.stop();
    this.response.stop();
    this.ledger.stop();
  }

  // ----- LedgerHooks -----

  choose(exchange: number): ExchangePick | undefined {
    return this.host.choose(exchange);
  }

  countFault(behavior: string): void {
    this.counters?.countFault(behavior);
  }

  startTls(tlsSwitch: TlsSwitch): boolean {
    if (this.host.secureSource?.(tlsSwitch) !== true) return false;
    (this.tlsTargets ??= {})[tlsSwitch.direction] = tlsSwitch.exchange;
    return true;
  }

  serverOpened(exchange: number): void {
    // Only the first: its answer slot (GREETING_SLOT) may have been taken before it came.
    if (this.greeting === GREETING_EXPECTED) this.greeting = exchange;
  }

  contextFor(exchange: number, direction: Direction, pick: ExchangePick, opener: Direction): BehaviorContext {
    const flow = this.flow(direction);
    const random = streamRng(this.options.seed, exchange, direction === 'request' ? 0 : 1);
    return this.context(direction, exchange, opener, pick.choice.options, pick.exchangesSoFar, random, () => flow.exchanges.runOf(exchange), NEVER);
  }

  // ----- FlowHost -----

  forwarded(direction: Direction, exchange: number, length: number, info: MessageInfo | undefined, noReply: boolean | undefined): void {
    if (direction === 'request') {
      this.requestForwarded(exchange, info, noReply);
    } else if (this.ordered && exchange !== 0) {
      this.orderIfMade?.beforeBackendWrite(exchange);
    }
    this.countBytes(direction, length);
  }

  forwardedRun(direction: Direction, ranges: ChunkRanges, from: number, to: number): boolean {
    // An answer order, a greeting or a TLS switch follows each exchange: one at a time then.
    if (this.orderIfMade !== undefined || this.greeting !== 0 || this.tlsTargets?.[direction] !== undefined) return false;
    // What `forwarded` and `sideDone` do for an untracked exchange (the ledger has no entry for it).
    let bytes = 0;
    for (let at = from; at < to; at++) {
      const exchange = ranges.exchangeOf(at);
      bytes += ranges.endOf(at) - ranges.startOf(at);
      if (direction === 'request') this.requestForwarded(exchange, ranges.infoOf(at), ranges.isNoReply(at));
      else if (this.ordered && exchange !== 0 && ranges.isLast(at)) this.ledger.answerWritten(exchange);
    }
    this.countBytes(direction, bytes);
    return true;
  }

  private countBytes(direction: Direction, length: number): void {
    // A named property each way: `bytes[direction]` went through a megamorphic keyed lookup.
    const counters = this.counters;
    if (counters === undefined) return;
    if (direction === 'request') counters.bytes.request += length;
    else counters.bytes.response += length;
  }

  /** The first bytes of request `exchange` went to the backend: its answer is awaited (`ordered`), unless none will come. */
  private requestForwarded(exchange: number, info: MessageInfo | undefined, noReply: boolean | undefined): void {
    if (exchange === 0) this.forwardedUnframed = true;
    else if (exchange !== this.lastForwarded) {
      this.lastForwarded = exchange;
      if (this.ordered && noReply !== true) {
        this.forwardedAny = true;
        const request = this.ledger.noteForwarded(exchange, info);
        this.orderIfMade?.expectBackend(request);
      }
    }
  }

  runWritten(direction: Direction): void {
    if (direction === 'response') this.host.answered();
  }

  sideDone(direction: Direction, exchange: number): void {
    if (direction === 'response' && this.ordered) {
      if (exchange === this.greeting) {
        this.greeting = 0;
        this.orderIfMade?.backendDone(GREETING_SLOT);
      } else {
        this.ledger.answerWritten(exchange);
        this.orderIfMade?.backendDone(exchange);
      }
    }
    this.ledger.sideDone(exchange, direction);
    if (direction === 'response') this.host.answered();
    if (this.tlsTargets?.[direction] === exchange) this.secureTarget(direction);
  }

  fail(direction: Direction, error: unknown): void {
    this.host.operatorFailed(direction, error);
  }

  finished(direction: Direction): void {
    this.host.directionFinished(direction);
  }

  pressure(direction: Direction): Promise<void> | undefined {
    // Only once the proxy answered something itself: until then the client's reading is the
    // backend's business, as with a direct connection.
    if (direction === 'response' || !this.replied) return undefined;
    return this.options.toClient.drained() ?? this.orderIfMade?.room();
  }

  /** The switch's message is through: once its bytes are written (behind any stream behavior), the target is secured. */
  private secureTarget(direction: Direction): void {
    const targets = this.tlsTargets as Partial<Record<Direction, number>>;
    delete targets[direction];
    this.flow(direction).afterDrain(() => this.host.secureTarget?.(direction));
  }

  // ----- what behaviors get -----

  private get order(): ResponseOrder {
    if (this.orderIfMade !== undefined) return this.orderIfMade;
    const order = new ResponseOrder({
      write: (bytes) => this.inject(bytes),
      closeAfterReply: () => this.response.afterDrain(() => this.host.endThenClose('response')),
    });
    // The answer order is made on first use: a greeting still to come (or to finish) takes the
    // first turn, then the requests that went to the backend and are not answered yet.
    if (this.greeting !== 0) order.expectBackend({ exchange: GREETING_SLOT });
    for (const request of this.ledger.awaitingAnswers()) order.expectBackend(request);
    this.orderIfMade = order;
    return order;
  }

  /** An answer the proxy makes goes to the client after the exchange stage, through the stream behaviors. */
  private inject(bytes: Buffer): void {
    this.response.inject({ bytes, direction: 'response', exchange: 0, first: true, last: true });
  }

  private streamEntry(behavior: StreamBehavior, direction: Direction): StreamEntry {
    let run: OperatorRun | undefined;
    const random = streamRng(this.options.seed, 0, direction === 'request' ? 0 : 1, nameNumber(behavior.key));
    const takenOut = new Subject<void>();
    const context = this.context(direction, 0, 'request', behavior.options, 0, random, () => run, takenOut);
    return {
      key: behavior.key,
      version: behavior.version,
      operator: behavior.definition.operator(context),
      attach: (made) => (run = made),
      takenOut: () => {
        takenOut.next();
        takenOut.complete();
      },
    };
  }

  private context(
    direction: Direction,
    exchange: number,
    opener: Direction,
    options: OptionValues,
    exchangesSoFar: number,
    rng: Rng,
    run: () => OperatorRun | undefined,
    takenOut: Observable<void>,
  ): BehaviorContext {
    return {
      direction,
      exchange,
      opener,
      options,
      protocol: this.options.protocol,
      connection: this.control(direction, exchange),
      rng,
      log: this.options.log,
      exchangesSoFar,
      discard: discardInto(run),
      takenOut,
    };
  }

  private control(direction: Direction, exchange: number): ConnectionControl {
    const flow = this.flow(direction);
    return {
      reply: (bytes, options) => {
        const close = options?.close ?? false;
        this.replied = true;
        if (exchange !== 0) this.order.reply(exchange, bytes, close);
        else {
          this.inject(bytes);
          if (close) this.response.afterDrain(() => this.host.endThenClose('response'));
        }
      },
      closeClient: () => this.host.closeClient(),
      closeBoth: () => flow.afterDrain(() => this.host.endThenClose(direction)),
      reset: () => this.host.reset(),
    };
  }
}
