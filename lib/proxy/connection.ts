// One client connection and its backend connection, joined by two pipelines (client→backend
// "request", backend→client "response"). Every failure here (a reset, a refusal, a timeout,
// malformed data, a plugin's exception) ends this connection alone and is logged once.
import { connect, type Socket } from 'node:net';
import { Subscription } from 'rxjs';
import type { BehaviorContext, ConnectionControl } from '../contract/behavior.js';
import type { Direction } from '../contract/message.js';
import type { OptionValues } from '../contract/options.js';
import type { ErrorReply, ProtocolDefinition } from '../contract/protocol.js';
import type { ProxyStats } from '../control/stats.js';
import type { Logger } from '../log.js';
import { createRng, type Rng } from '../rng.js';
import { OperatorStage, type ActiveRuns, type StageHost } from '../pipeline/behavior-stage.js';
import { DirectionPipeline, type DirectionHost } from '../pipeline/direction.js';
import { ExchangeLedger, type ExchangePick, type LedgerHooks } from '../pipeline/exchanges.js';
import { CLOSE_BOTH, isMarker, type Outgoing } from '../pipeline/outgoing.js';
import { ResponseOrder } from '../pipeline/response-order.js';
import type { HostPort } from './address.js';
import type { BackendPool } from './backend-pool.js';
import type { SweepClock, Swept } from './deadline-sweep.js';
import { resetSocket } from './reset-socket.js';
import { SocketWriter } from './socket-write.js';

/** What a connection needs from its proxy; read once, when the connection is accepted. */
export interface ConnectionEnvironment {
  /** 1, 2, 3… in accept order: names the connection in logs and seeds its randomness. */
  readonly index: number;
  readonly backend: HostPort;
  readonly protocol: ProtocolDefinition;
  readonly protocolOptions: OptionValues;
  /** Backend connect timeout and idle timeout (checked when the proxy's sweep calls `sweep`). */
  readonly timeoutMs: number;
  readonly stayConnected: boolean;
  /** The proxy's sweep: its clock stamps activity. */
  readonly clock: SweepClock;
  /** Seeds the connection's randomness (derived from --seed and the index). */
  readonly seed: number;
  readonly log: Logger;
  readonly stats: ProxyStats;
  /** Draws the behavior of the next exchange (undefined: dummy), from `source.rng` when a draw is needed. */
  choose(source: RngSource): ExchangePick | undefined;
  /** Idle backend connections to reuse (a protocol's `reuse_socket`); absent: one per client. */
  readonly pool?: BackendPool | undefined;
  /** Told of every exchange and its behavior (the demo uses it to attribute outcomes). */
  readonly onExchange?: ((event: ExchangeEvent) => void) | undefined;
}

/** An exchange was opened and given a behavior. */
export interface ExchangeEvent {
  /** The connection's index (accept order). */
  readonly connection: number;
  /** The client's port, which tells its connections apart on the client side. */
  readonly clientPort: number;
  readonly exchange: number;
  readonly behavior: string;
}

/** Longest a closing side waits for its peer to close after our FIN. */
const LINGER_MS = 2000;

/** How long a `latest` (tcp) connection must be quiet to count as between exchanges. */
const QUIET_MS = 100;

/** Where a connection's randomness comes from, made when first asked for. */
export interface RngSource {
  readonly rng: Rng;
}

export class Connection implements StageHost, DirectionHost, LedgerHooks, Swept, RngSource {
  readonly ledger: ExchangeLedger;
  readonly subscriptions = new Subscription();
  /** Resolves once both sockets are closed and everything is released. */
  readonly closed: Promise<void>;

  private readonly backend: Socket;
  private readonly toClient: SocketWriter;
  private readonly toBackend: SocketWriter;
  private readonly detachBackend: () => void;
  /** Made on first use: a tcp connection that never gets an error reply needs none. */
  private orderIfMade: ResponseOrder | undefined;
  private rngIfMade: Rng | undefined;
  private readonly runs: ActiveRuns = { request: undefined, response: undefined };
  private readonly requestPipeline: DirectionPipeline;
  private readonly responsePipeline: DirectionPipeline;
  private readonly ordered: boolean;
  /** Set by the `closed` promise's executor, which runs at once. */
  private resolveClosed!: () => void;
  /** The backend connection is being made (not yet connected, not yet given up on). */
  private connecting: boolean;
  /** When the connect began, and the last chunk either way: the sweep's clock, for the timeouts. */
  private readonly connectStarted: number;
  private lastActive: number;
  private backendConnected = false;
  private backendEnded = false;
  private clientSpoke = false;
  private pendingUnavailable: ErrorReply | undefined;
  private lastForwarded = 0;
  /** The last client chunk, to the millisecond, on `latest` connections: graceful shutdown's test of a quiet tcp connection (the sweep's clock is too coarse for it). */
  private lastClientChunkAt = performance.now();
  private socketsOpen = 2;
  /** The backend connection went back to the pool: it is no longer this connection's to close. */
  private backendDetached = false;
  private releaseWhenIdle = false;
  /** The side being closed gracefully (see endThenClose): the other side's close must not cut it. */
  private lingering: Socket | undefined;
  private readonly onBackendErrorEvent = (error: NodeJS.ErrnoException): void => this.onBackendError(error);
  private readonly onBackendEndEvent = (): void => {
    this.backendEnded = true;
  };
  private readonly onBackendCloseEvent = (): void => this.onSocketClosed(this.backend);
  private finished = false;
  private problemLogged = false;

  constructor(
    private readonly client: Socket,
    private readonly env: ConnectionEnvironment,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.ordered = env.protocol.pairing === 'ordered';
    env.stats.openConnections++;
    env.stats.totalConnections++;

    this.ledger = new ExchangeLedger(env.protocol.pairing, this, env.log, env.protocolOptions['handshake'] === true);

    // No Nagle delay on either side: the server accepts clients with noDelay, and the option
    // given to connect() is applied once connected (setNoDelay() right after connect() would
    // cost a second setsockopt).
    const pooled = env.pool?.acquire(env.backend);
    this.backend = pooled ?? connect({ host: env.backend.host, port: env.backend.port, allowHalfOpen: true, noDelay: true });
    if (pooled !== undefined) {
      this.backendConnected = true;
    } else {
      // `on`, not `once`: 'connect' comes once anyway, and once() wraps the listener per call.
      this.backend.on('connect', () => {
        this.backendConnected = true;
        this.connecting = false;
      });
    }
    this.connecting = !this.backendConnected;
    this.connectStarted = this.lastActive = env.clock.now;

    this.toClient = new SocketWriter(client);
    this.toBackend = new SocketWriter(this.backend);
    const framers = env.protocol.createFramers(env.protocolOptions, this.ledger.framerContext());
    this.requestPipeline = new DirectionPipeline('request', { framer: framers.request, behavior: new OperatorStage('request', this, this.runs), target: this.toBackend }, this);
    this.responsePipeline = new DirectionPipeline('response', { framer: framers.response, behavior: new OperatorStage('response', this, this.runs), target: this.toClient }, this);
    this.requestPipeline.feed(client);
    this.detachBackend = this.responsePipeline.feed(this.backend);

    client.on('error', (error) => this.onClientError(error));
    this.backend.on('error', this.onBackendErrorEvent);
    this.backend.on('end', this.onBackendEndEvent);
    this.backend.on('close', this.onBackendCloseEvent);
    client.on('close', () => this.onSocketClosed(client));
    if (env.protocol.serverFirst === true) this.clientSpoke = true;
  }

  private get order(): ResponseOrder {
    return (this.orderIfMade ??= new ResponseOrder({
      write: (bytes) => {
        this.toClient.write(bytes);
        this.toClient.flush();
      },
      closeAfterReply: () => this.endThenClose(this.client),
    }));
  }

  /** Exchanges whose answer is still to be written. */
  private get pendingAnswers(): number {
    return this.orderIfMade?.pending ?? 0;
  }

  /**
   * The connection's randomness, made on first use: a connection whose exchanges are all dummy
   * never draws, and the generator with its functions was a tenth of its heap. The seed alone
   * fixes the sequence, so when it is made does not change what it gives.
   */
  get rng(): Rng {
    return (this.rngIfMade ??= createRng(this.env.seed));
  }

  /** Between exchanges: nothing held, nothing awaited (used by graceful shutdown). */
  get isIdle(): boolean {
    if (this.runs.request !== undefined || this.runs.response !== undefined) return false;
    if (this.ordered) return this.pendingAnswers === 0;
    return performance.now() - this.lastClientChunkAt > QUIET_MS;
  }

  /** Ends the connection now. */
  destroy(): void {
    this.client.destroy();
    if (!this.backendDetached) this.backend.destroy();
  }

  flush(direction: Direction): void {
    (direction === 'request' ? this.toBackend : this.toClient).flush();
  }

  fail(direction: Direction, error: unknown): void {
    this.logProblem('warning', `${direction} side failed: ${error instanceof Error ? error.message : String(error)}`);
    this.destroy();
  }

  /** DirectionHost: queues what a direction let through on the socket it writes to. */
  writeOut(direction: Direction, item: Outgoing): void {
    if (direction === 'request') this.writeRequest(item);
    else this.writeResponse(item);
  }

  /** DirectionHost: a chunk came from the client (request) or the backend (response). */
  chunkArrived(direction: Direction): void {
    if (direction === 'request') this.onClientChunk();
    else this.lastActive = this.env.clock.now;
  }

  /** DirectionHost: half-close travels: when one side is done sending, the other side's socket is ended. */
  sourceFinished(direction: Direction): void {
    if (direction === 'request') this.onClientFinished();
    else this.toClient.end();
  }

  private writeRequest(item: Outgoing): void {
    if (isMarker(item)) {
      if (item.kind === 'side-done') this.ledger.sideDone(item.exchange, 'request');
      else this.endThenClose(this.backend);
      return;
    }
    const { exchange } = item;
    if (exchange !== this.lastForwarded && exchange !== 0) {
      this.lastForwarded = exchange;
      if (this.ordered && item.noReply !== true) {
        this.order.expectBackend(this.ledger.noteForwarded(exchange, item.info));
      }
    }
    this.env.stats.bytes.request += item.bytes.length;
    if (item.last) this.ledger.sideDone(exchange, 'request');
    this.toBackend.write(item.bytes);
  }

  private writeResponse(item: Outgoing): void {
    if (isMarker(item)) {
      if (item.kind === 'side-done') this.responseDone(item.exchange);
      else this.endThenClose(this.client);
      return;
    }
    const { exchange } = item;
    if (this.ordered && exchange !== 0) this.order.beforeBackendWrite(exchange);
    this.env.stats.bytes.response += item.bytes.length;
    this.toClient.write(item.bytes);
    if (item.last && exchange !== 0) this.responseDone(exchange);
  }

  private responseDone(exchange: number): void {
    if (this.ordered) this.order.backendDone(exchange);
    this.ledger.sideDone(exchange, 'response');
    if (this.releaseWhenIdle) this.releaseBackend();
  }

  /** The client is done sending: half-close the backend, or give it back to the pool. */
  private onClientFinished(): void {
    if (this.env.pool === undefined) {
      this.toBackend.end();
      return;
    }
    this.releaseWhenIdle = true;
    this.releaseBackend();
  }

  /** Hands a backend connection that sits between exchanges to the pool, then ends the client. */
  private releaseBackend(): void {
    const backend = this.backend;
    const between = this.pendingAnswers === 0 && this.runs.request === undefined && this.runs.response === undefined;
    if (!between || this.finished || !this.backendConnected || this.backendEnded || backend.destroyed) return;
    this.releaseWhenIdle = false;
    this.detachBackend();
    backend.off('error', this.onBackendErrorEvent);
    backend.off('end', this.onBackendEndEvent);
    backend.off('close', this.onBackendCloseEvent);
    this.backendDetached = true;
    if (this.env.pool?.release(this.env.backend, backend) !== true) backend.destroy();
    this.toClient.end();
    if (--this.socketsOpen === 0) this.finish();
  }

  /** LedgerHooks: draws the behavior of `exchange`, just opened (undefined: dummy). */
  choose(exchange: number): ExchangePick | undefined {
    const pick = this.env.choose(this);
    this.env.onExchange?.({ connection: this.env.index, clientPort: this.client.remotePort ?? 0, exchange, behavior: pick?.choice.definition.name ?? 'dummy' });
    return pick;
  }

  /** LedgerHooks: a behavior acted on an exchange. */
  countFault(behavior: string): void {
    this.env.stats.countFault(behavior);
  }

  /** LedgerHooks: the context an operator factory gets for one side of an exchange. */
  contextFor(exchange: number, direction: Direction, pick: ExchangePick, opener: Direction): BehaviorContext {
    return {
      direction,
      exchange,
      opener,
      options: pick.choice.options,
      protocol: this.env.protocol,
      connection: this.controlFor(exchange, direction),
      rng: this.rng,
      log: this.env.log,
      exchangesSoFar: pick.exchangesSoFar,
    };
  }

  private controlFor(exchange: number, direction: Direction): ConnectionControl {
    return {
      reply: (bytes, options) => this.order.reply(exchange, bytes, options?.close ?? false),
      closeClient: () => this.destroy(),
      closeBoth: () => {
        const run = this.runs[direction];
        if (run !== undefined) run.push(CLOSE_BOTH);
        else this.endThenClose(direction === 'request' ? this.backend : this.client);
      },
    };
  }

  /**
   * Closes the connection from one side: `socket` gets FIN after what was written to it, the
   * other side closes now. `socket` lingers (still read, its bytes dropped) until its peer
   * closes: a reset could make the peer discard what it has not read yet — the error reply, or
   * the request `abort` forwarded. A peer that never closes is cut after LINGER_MS.
   */
  private endThenClose(socket: Socket): void {
    if (socket.destroyed || socket.writableEnded) {
      this.destroy();
      return;
    }
    this.lingering = socket;
    if (socket === this.client) {
      if (!this.backendDetached) this.backend.destroy();
    } else {
      this.client.destroy();
    }
    (socket === this.client ? this.toClient : this.toBackend).end();
    const cut = setTimeout(() => socket.destroy(), Math.min(this.env.timeoutMs, LINGER_MS));
    socket.once('close', () => clearTimeout(cut));
  }

  /** Called by the proxy's sweep: gives up on a backend that does not answer the connect, ends an idle connection. */
  sweep(now: number): void {
    const late = this.env.timeoutMs + this.env.clock.intervalMs;
    if (this.connecting) {
      if (now - this.connectStarted >= late) this.backendUnavailable('connect timeout');
      return;
    }
    if (!this.env.stayConnected && now - this.lastActive >= late) this.onIdle();
  }

  private onClientChunk(): void {
    this.lastActive = this.env.clock.now;
    // Only `latest` connections are judged by quiet time (ordered ones count their answers).
    if (!this.ordered) this.lastClientChunkAt = performance.now();
    if (!this.clientSpoke) {
      this.clientSpoke = true;
      if (this.pendingUnavailable !== undefined) this.sendUnavailable(this.pendingUnavailable);
    }
  }

  private backendUnavailable(reason: string): void {
    if (this.finished || this.backendConnected) return;
    this.connecting = false;
    this.logProblem('warning', `backend ${this.env.backend.host}:${this.env.backend.port} unavailable: ${reason}`);
    const reply = this.env.protocol.unavailableReply?.(undefined);
    this.backend.destroy();
    if (reply === undefined) this.client.destroy();
    else if (this.clientSpoke) this.sendUnavailable(reply);
    else this.pendingUnavailable = reply; // e.g. http: a 502 answers the first request, not silence
  }

  private sendUnavailable(reply: ErrorReply): void {
    this.pendingUnavailable = undefined;
    if (this.client.destroyed || this.client.writableEnded) return;
    this.toClient.write(reply.bytes);
    this.endThenClose(this.client);
  }

  private onClientError(error: NodeJS.ErrnoException): void {
    this.logProblem('debug', `client error: ${error.code ?? error.message}`);
    // The backend sees what a direct client would have caused: a reset.
    resetSocket(this.backend);
  }

  private onBackendError(error: NodeJS.ErrnoException): void {
    if (!this.backendConnected) {
      this.backendUnavailable(error.code ?? error.message);
      return;
    }
    this.logProblem('info', `backend error: ${error.code ?? error.message}`);
    resetSocket(this.client);
  }

  private onIdle(): void {
    this.logProblem('debug', `idle for ${this.env.timeoutMs / 1000}s, closing`);
    this.destroy();
  }

  private onSocketClosed(socket: Socket): void {
    if (socket === this.client) {
      // Nobody left to answer: the backend connection goes too (unless it went to the pool).
      if (!this.backendDetached && this.lingering !== this.backend) this.backend.destroy();
    } else if (!this.backendEnded && this.pendingUnavailable === undefined && !this.client.writableEnded) {
      // The backend went away without a clean end (reset, destroyed): so does the client,
      // unless the client is already being answered and closed (a 502, an error reply).
      this.client.destroy();
    }
    if (--this.socketsOpen === 0) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.connecting = false;
    this.subscriptions.unsubscribe();
    this.requestPipeline.stop();
    this.responsePipeline.stop();
    this.env.stats.openConnections--;
    this.resolveClosed();
  }

  private logProblem(level: 'warning' | 'info' | 'debug', message: string): void {
    if (this.problemLogged) return;
    this.problemLogged = true;
    // The peer address is read here, not at accept: it costs a getpeername() per connection,
    // and most connections never log (a socket already torn down shows `?`).
    const { remoteAddress, remotePort } = this.client;
    this.env.log[level](`#${this.env.index} ${remoteAddress ?? '?'}:${remotePort ?? '?'}: ${message}`);
  }
}
