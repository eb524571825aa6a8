// One client connection and its backend connection, joined by the two pipelines of
// ConnectionPipelines and driven from the sockets. This file is the connection's life: one
// phase (connecting → open → closing → closed, or unavailable, or released to the pool); a
// protocol's switch to TLS swaps a peer's socket for a TLS one in place. Every failure here (a
// reset, a refusal, a timeout, a failed handshake, malformed data, a plugin's exception) ends
// this connection alone and is logged once.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Direction } from '../contract/message.js';
import type { OptionValues } from '../contract/options.js';
import type { ErrorReply, ProtocolDefinition, TlsSwitch } from '../contract/protocol.js';
import type { ProxyStats } from '../control/stats.js';
import type { FaultWatcher } from '../faults/fault-watcher.js';
import type { Logger } from '../log.js';
import { createRng, deriveSeed, type Rng } from '../rng.js';
import { ConnectionPipelines, type PipelinesHost, type StreamBehavior } from '../pipeline/connection-pipelines.js';
import { DirectionPipeline, type DirectionHost } from '../pipeline/direction.js';
import type { ExchangeObserver, ExchangeWatch } from '../pipeline/exchange-watch.js';
import type { ExchangePick } from '../pipeline/exchanges.js';
import type { HostPort } from './address.js';
import type { BackendPool } from './backend-pool.js';
import { tcpDialer, type BackendDialer } from './backend-dialer.js';
import type { SweepClock, Swept } from './deadline-sweep.js';
import type { Listed } from './open-connections.js';
import { resetSocket } from './reset-socket.js';
import { SocketWriter } from './socket-write.js';
import { secureAtSwitch, type TlsPeer, type TlsSwitchTerms } from './tls-switch.js';

/**
 * What a connection needs from its proxy, read when the connection is accepted: one object for
 * all of a proxy's connections (a new one when the backend moves), not one per connection.
 */
export interface ConnectionEnvironment {
  readonly backend: HostPort;
  readonly protocol: ProtocolDefinition;
  readonly protocolOptions: OptionValues;
  /** Backend connect timeout and idle timeout (checked when the proxy's sweep calls `sweep`). */
  readonly timeoutMs: number;
  readonly stayConnected: boolean;
  /** The proxy's sweep: its clock stamps activity. */
  readonly clock: SweepClock;
  readonly log: Logger;
  readonly stats: ProxyStats;
  /** Draws the behavior of the next exchange (undefined: dummy), from `source.rng` when a draw is needed. */
  choose(source: RngSource): ExchangePick | undefined;
  /** The stream behaviors in force for `connection` (drawn for it from its randomness). */
  readonly streamBehaviorsFor?: ((connection: Connection) => readonly StreamBehavior[]) | undefined;
  /** How backend connections are made (TLS with --backend-tls); absent: plain TCP. */
  readonly dialer?: BackendDialer | undefined;
  /** Idle backend connections to reuse (a protocol's `reuse_socket`); absent: one per client. */
  readonly pool?: BackendPool | undefined;
  /** Told of every exchange and its behavior (the demo uses it to attribute outcomes). */
  readonly onExchange?: ((event: ExchangeEvent) => void) | undefined;
  /** TLS toward both peers for the protocol's switch to TLS (a client that started in plaintext); absent: the switch passes raw. */
  readonly tlsSwitch?: TlsSwitchTerms | undefined;
  /** The fault log's watcher: the connection observes its exchanges for it (absent: nothing is watched). */
  readonly faults?: FaultWatcher | undefined;
  /** Told once the connection is closed and released. */
  readonly onClosed?: ((connection: Connection) => void) | undefined;
}

/** Who a connection is: its number, and the seed of its randomness. */
export interface ConnectionIdentity {
  /** 1, 2, 3… in accept order: names the connection in logs and seeds its randomness. */
  readonly index: number;
  /** Seeds the connection's randomness (derived from --seed and the index). */
  readonly seed: number;
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

/** Where a connection's randomness comes from, made when first asked for. */
export interface RngSource {
  readonly rng: Rng;
}

/**
 * - `connecting`: the backend connection is being made;
 * - `open`: both sockets are up;
 * - `unavailable`: the backend could not be reached; the client gets the protocol's answer, if any;
 * - `closing`: one side is being closed gracefully (see endThenClose), the other is gone;
 * - `released`: the backend connection went back to the pool; the client is being ended;
 * - `closed`: both sockets are closed and everything is released.
 */
export type ConnectionPhase = 'connecting' | 'open' | 'unavailable' | 'closing' | 'released' | 'closed';

/** Longest a closing side waits for its peer to close after our FIN. */
const LINGER_MS = 2000;

/** How long a `latest` (tcp) connection must be quiet to count as between exchanges. */
const QUIET_MS = 100;

export class Connection implements PipelinesHost, DirectionHost, Swept, RngSource, ExchangeObserver, Listed {
  phase: ConnectionPhase;
  readonly pipelines: ConnectionPipelines;
  /** Which stream behaviors of the proxy's setting were drawn for this connection, by key (made on first use). */
  streamDraws: Map<string, boolean> | undefined;
  /** The connection's number (accept order). */
  readonly index: number;
  /** Its place in the proxy's list of open connections (OpenConnections). */
  listIndex = -1;

  /** The sockets the protocol's bytes go through: a TLS socket over the TCP one once the protocol switched to TLS. */
  private client: Socket;
  private backend: Socket;
  /** The backend socket as dialed (or pooled): its 'close' is the backend's, whatever TLS a switch puts over it. */
  private readonly dialedBackend: Socket;
  private readonly toClient: SocketWriter;
  private readonly requestPipeline: DirectionPipeline;
  private readonly responsePipeline: DirectionPipeline;
  private detachBackend: () => void;
  private readonly ordered: boolean;
  private rngIfMade: Rng | undefined;
  private readonly seed: number;
  /** Where this connection's backend is (the proxy's may move later). */
  private readonly backendAddress: HostPort;
  /** `closed`, made when first asked for (a graceful shutdown asks; most connections never are). */
  private closedIfAsked: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  /** When the connect began, and the last chunk either way: the sweep's clock, for the timeouts. */
  private readonly connectStarted: number;
  private lastActive: number;
  /** The last client chunk, to the millisecond, on `latest` connections: graceful shutdown's test of a quiet tcp connection. */
  private lastClientChunkAt = performance.now();
  /** Sockets not yet closed (of the two this connection owns). */
  private socketsOpen = 2;
  /** The side being closed gracefully: the other side's close must not cut it. */
  private lingering: Socket | undefined;
  /** What the client gets once it speaks, when the backend was unavailable (an http 502). */
  private unavailableAnswer: ErrorReply | undefined;
  /** The client spoke (or the protocol's server speaks first): an unavailable answer may go now. */
  private clientSpoke: boolean;
  /** The client is done: the backend goes back to the pool once between exchanges. */
  private releaseWhenIdle = false;
  private problemLogged = false;
  private readonly onClientErrorEvent = (error: NodeJS.ErrnoException): void => this.onClientError(error);
  private readonly onBackendErrorEvent = (error: NodeJS.ErrnoException): void => this.onBackendError(error);
  // 'close' is listened to on the TCP sockets: each closes once, after any TLS socket over it.
  private readonly onBackendCloseEvent = (): void => this.onSocketClosed('backend');

  constructor(
    client: Socket,
    private readonly env: ConnectionEnvironment,
    identity: ConnectionIdentity,
  ) {
    this.client = client;
    this.index = identity.index;
    this.seed = identity.seed;
    this.backendAddress = env.backend;
    this.ordered = env.protocol.pairing === 'ordered';
    this.clientSpoke = env.protocol.serverFirst === true;
    env.stats.openConnections++;
    env.stats.totalConnections++;

    // No Nagle delay on either side: the server accepts clients with noDelay, and the dialer
    // connects with it.
    const pooled = env.pool?.acquire(this.backendAddress);
    const dialer = env.dialer ?? tcpDialer;
    this.backend = this.dialedBackend = pooled ?? dialer.dial(this.backendAddress);
    this.phase = pooled === undefined ? 'connecting' : 'open';
    // `on`, not `once`: the event comes once anyway, and once() wraps the listener per call.
    if (pooled === undefined) this.backend.on(dialer.readyEvent, () => this.onBackendConnected());
    this.connectStarted = this.lastActive = env.clock.now;

    this.toClient = new SocketWriter(client);
    this.pipelines = new ConnectionPipelines({
      protocol: env.protocol,
      protocolOptions: env.protocolOptions,
      toBackend: new SocketWriter(this.backend),
      toClient: this.toClient,
      host: this,
      // Draws use the connection's own generator (`rng`); behaviors, streams derived from a sibling seed.
      seed: deriveSeed(this.seed, 0x5eed),
      log: env.log,
      counters: env.stats,
      // Bytes vaurien decrypted are never taken for TLS it cannot read.
      decrypted: client instanceof TLSSocket || this.backend instanceof TLSSocket ? { request: client instanceof TLSSocket, response: this.backend instanceof TLSSocket } : undefined,
      observer: env.faults === undefined ? undefined : this,
    });
    const streams = env.streamBehaviorsFor?.(this);
    if (streams !== undefined && streams.length > 0) this.pipelines.setStreamBehaviors(streams);
    const { framers } = this.pipelines;
    this.requestPipeline = new DirectionPipeline('request', framers.request, this.pipelines.request, this);
    this.responsePipeline = new DirectionPipeline('response', framers.response, this.pipelines.response, this);
    this.requestPipeline.feed(client);
    this.detachBackend = this.responsePipeline.feed(this.backend);

    client.on('error', this.onClientErrorEvent);
    client.on('close', () => this.onSocketClosed('client'));
    this.backend.on('error', this.onBackendErrorEvent);
    this.backend.on('close', this.onBackendCloseEvent);
  }

  /**
   * The connection's randomness, made on first use: a connection whose exchanges are all dummy
   * never draws. The seed alone fixes the sequence, so when it is made does not change what it gives.
   */
  get rng(): Rng {
    return (this.rngIfMade ??= createRng(this.seed));
  }

  /** Resolves once both sockets are closed and everything is released. */
  get closed(): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    return (this.closedIfAsked ??= new Promise((resolve) => (this.resolveClosed = resolve)));
  }

  /** Between exchanges: nothing held, nothing awaited (used by graceful shutdown). */
  get isIdle(): boolean {
    if (!this.pipelines.isBetweenExchanges) return false;
    return this.ordered || performance.now() - this.lastClientChunkAt > QUIET_MS;
  }

  /** The client's `host:port` (`[v6]:port`); read when asked: most connections never need it. */
  get clientAddress(): string {
    const { remoteAddress, remotePort } = this.client;
    const host = remoteAddress === undefined ? '?' : remoteAddress.includes(':') ? `[${remoteAddress}]` : remoteAddress;
    return `${host}:${remotePort ?? '?'}`;
  }

  /** Ends the connection now. */
  destroy(): void {
    this.client.destroy();
    if (this.phase !== 'released') this.backend.destroy();
  }

  /** Puts the proxy's stream behaviors in force on this open connection. */
  setStreamBehaviors(behaviors: readonly StreamBehavior[]): void {
    if (this.phase !== 'closed') this.pipelines.setStreamBehaviors(behaviors);
  }

  // ----- ExchangeObserver (only given to the pipelines with a fault watcher) -----

  watch(exchange: number, pick: ExchangePick, opener: Direction): ExchangeWatch | undefined {
    return this.env.faults?.watch(this, exchange, pick, opener);
  }

  // ----- PipelinesHost -----

  choose(exchange: number): ExchangePick | undefined {
    const pick = this.env.choose(this);
    this.env.onExchange?.({ connection: this.index, clientPort: this.client.remotePort ?? 0, exchange, behavior: pick?.choice.definition.name ?? 'dummy' });
    return pick;
  }

  directionFinished(direction: Direction): void {
    if (direction === 'response') {
      this.toClient.end();
      return;
    }
    // The client is done sending: half-close the backend, or give it back to the pool.
    if (this.env.pool === undefined) {
      // Not before the backend is ready: a TLS socket ended mid-handshake sends its FIN early,
      // and the server answers with a fatal alert (redis: decode error), cutting the client.
      if (this.phase === 'connecting') this.backend.once((this.env.dialer ?? tcpDialer).readyEvent, () => this.pipelines.request.writer.end());
      else this.pipelines.request.writer.end();
      return;
    }
    this.releaseWhenIdle = true;
    this.releaseBackend();
  }

  operatorFailed(direction: Direction, error: unknown): void {
    this.fail(direction, error);
  }

  answered(): void {
    if (this.releaseWhenIdle) this.releaseBackend();
  }

  closeClient(): void {
    this.destroy();
  }

  /**
   * Closes the connection from one side: the target of `direction` gets FIN after what was
   * written to it, the other side closes now. The target lingers (still read, its bytes
   * dropped) until its peer closes: a reset could make the peer discard what it has not read
   * yet (the error reply, or the request `abort` forwarded). A peer that never closes is cut
   * after LINGER_MS.
   */
  endThenClose(direction: Direction): void {
    const socket = direction === 'request' ? this.backend : this.client;
    if (socket.destroyed || socket.writableEnded) {
      this.destroy();
      return;
    }
    this.lingering = socket;
    if (this.phase !== 'closed' && this.phase !== 'released') this.phase = 'closing';
    if (socket === this.client) {
      if (this.phase !== 'released') this.backend.destroy();
    } else {
      this.client.destroy();
    }
    this.pipelines.flow(direction).writer.end();
    const cut = setTimeout(() => socket.destroy(), Math.min(this.env.timeoutMs, LINGER_MS));
    socket.once('close', () => clearTimeout(cut));
  }

  reset(): void {
    resetSocket(this.client);
    if (this.phase !== 'released') resetSocket(this.backend);
  }

  notice(line: string): void {
    this.logProblem('warning', line);
  }

  /** The peer that sent the switch's message speaks TLS from `rest` on (with what was read after it). */
  secureSource({ direction, rest }: TlsSwitch): boolean {
    if (this.env.tlsSwitch === undefined || this.phase !== 'open') return false;
    const peer: TlsPeer = direction === 'request' ? 'client' : 'backend';
    const { chunks, ended } = this.readerOf(peer).release(true);
    this.secure(peer, ended ? undefined : [...rest, ...chunks]);
    return true;
  }

  /** The switch's message was written to this peer: it speaks TLS from its next byte on. */
  secureTarget(direction: Direction): void {
    if (this.phase !== 'open') return;
    const peer: TlsPeer = direction === 'request' ? 'backend' : 'client';
    // What it sent before it had the switch's message is plaintext, still framed as such.
    this.readerOf(peer).release(false);
    this.secure(peer, []);
  }

  // ----- DirectionHost -----

  chunkArrived(direction: Direction): void {
    this.lastActive = this.env.clock.now;
    if (direction !== 'request') return;
    // Only `latest` connections are judged by quiet time (ordered ones count their answers).
    if (!this.ordered) this.lastClientChunkAt = performance.now();
    if (!this.clientSpoke) {
      this.clientSpoke = true;
      if (this.unavailableAnswer !== undefined) this.sendUnavailable(this.unavailableAnswer);
    }
  }

  fail(direction: Direction, error: unknown): void {
    this.logProblem('warning', `${direction} side failed: ${error instanceof Error ? error.message : String(error)}`);
    this.destroy();
  }

  /** Called by the proxy's sweep: gives up on a backend that does not answer the connect, ends an idle connection. */
  sweep(now: number): void {
    const late = this.env.timeoutMs + this.env.clock.intervalMs;
    if (this.phase === 'connecting') {
      if (now - this.connectStarted >= late) this.backendUnavailable('connect timeout');
      return;
    }
    if (!this.env.stayConnected && now - this.lastActive >= late) {
      this.logProblem('debug', `idle for ${this.env.timeoutMs / 1000}s, closing`);
      this.destroy();
    }
  }

  private readerOf(peer: TlsPeer): DirectionPipeline {
    return peer === 'client' ? this.requestPipeline : this.responsePipeline;
  }

  /**
   * Puts a TLS socket over `peer`'s TCP socket, `unread` first in (undefined: its stream ended,
   * no TLS can follow). Writes go to it at once (TLS holds them until the handshake is done);
   * reading resumes once it is done. A failed handshake closes the connection, logged once.
   */
  private secure(peer: TlsPeer, unread: readonly Buffer[] | undefined): void {
    const terms = this.env.tlsSwitch as TlsSwitchTerms;
    const tcp = peer === 'client' ? this.client : this.backend;
    const writer = peer === 'client' ? this.toClient : this.pipelines.request.writer;
    // What was written before the switch leaves in plaintext, ahead of the handshake.
    writer.flush();
    const { host, port } = this.backendAddress;
    const socket =
      unread === undefined
        ? undefined
        : secureAtSwitch(peer, tcp, unread, host, terms, {
            secured: (secured) => {
              secured.on('error', peer === 'client' ? this.onClientErrorEvent : this.onBackendErrorEvent);
              const detach = this.readerOf(peer).feed(secured);
              if (peer === 'backend') this.detachBackend = detach;
            },
            failed: (reason, peerLeft) => {
              const where = peer === 'client' ? 'TLS handshake with the client' : `TLS handshake with backend ${host}:${port}`;
              this.logProblem(peerLeft ? 'debug' : peer === 'client' ? 'info' : 'warning', `${where} failed at the protocol's switch to TLS: ${reason}; closed`);
              this.destroy();
            },
          });
    if (socket === undefined) {
      this.logProblem('debug', `the ${peer} closed its side before its switch to TLS; closed`);
      this.destroy();
      return;
    }
    // The TCP socket's errors now reach us through the TLS socket (Node passes them on).
    tcp.off('error', peer === 'client' ? this.onClientErrorEvent : this.onBackendErrorEvent);
    if (peer === 'client') this.client = socket;
    else this.backend = socket;
    writer.retarget(socket);
  }

  private onBackendConnected(): void {
    if (this.phase === 'connecting') this.phase = 'open';
  }

  /** Hands a backend connection that sits between exchanges to the pool, then ends the client. */
  private releaseBackend(): void {
    const backend = this.backend;
    if (this.phase !== 'open' || !this.pipelines.isBetweenExchanges || backend.readableEnded || backend.destroyed) return;
    this.releaseWhenIdle = false;
    this.phase = 'released';
    this.detachBackend();
    backend.off('error', this.onBackendErrorEvent);
    this.dialedBackend.off('close', this.onBackendCloseEvent);
    // A session that keeps state of this client (or sent bytes the proxy could not follow) is
    // closed, not pooled: nothing of one client may reach the next.
    if (!this.pipelines.reusable || this.env.pool?.release(this.backendAddress, backend) !== true) backend.destroy();
    this.toClient.end();
    this.onSocketClosed('backend');
  }

  private backendUnavailable(reason: string): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'unavailable';
    this.logProblem('warning', `backend ${this.backendAddress.host}:${this.backendAddress.port} unavailable: ${reason}`);
    const reply = this.env.protocol.unavailableReply?.(undefined);
    this.backend.destroy();
    if (reply === undefined) this.client.destroy();
    else if (this.clientSpoke) this.sendUnavailable(reply);
    else this.unavailableAnswer = reply; // e.g. http: a 502 answers the first request, not silence
  }

  private sendUnavailable(reply: ErrorReply): void {
    this.unavailableAnswer = undefined;
    if (this.client.destroyed || this.client.writableEnded) return;
    this.toClient.write(reply.bytes);
    this.endThenClose('response');
  }

  private onClientError(error: NodeJS.ErrnoException): void {
    this.logProblem('debug', `client error: ${error.code ?? error.message}`);
    // The backend sees what a direct client would have caused: a reset.
    resetSocket(this.backend);
  }

  private onBackendError(error: NodeJS.ErrnoException): void {
    if (this.phase === 'connecting') {
      this.backendUnavailable((this.env.dialer ?? tcpDialer).failureReason(error));
      return;
    }
    // A TLS backend that closes with our close_notify still unread (MariaDB after COM_QUIT) resets
    // instead: routine once the client was done and we ended our side.
    const routine = error.code === 'ECONNRESET' && this.backend instanceof TLSSocket && this.backend.writableEnded;
    this.logProblem(routine ? 'debug' : 'info', `backend error: ${error.code ?? error.message}`);
    resetSocket(this.client);
  }

  private onSocketClosed(peer: TlsPeer): void {
    if (peer === 'client') {
      // Nobody left to answer: the backend connection goes too (unless it went to the pool).
      if (this.phase !== 'released' && this.lingering !== this.backend) this.backend.destroy();
    } else if (!this.backend.readableEnded && this.phase !== 'unavailable' && this.phase !== 'released' && !this.client.writableEnded) {
      // The backend went away without a clean end (reset, destroyed): so does the client,
      // unless the client is already being answered and closed (a 502, an error reply).
      this.client.destroy();
    }
    if (--this.socketsOpen === 0) this.finish();
  }

  private finish(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.pipelines.stop();
    this.requestPipeline.stop();
    this.responsePipeline.stop();
    this.env.stats.openConnections--;
    this.resolveClosed?.();
    this.env.onClosed?.(this);
  }

  private logProblem(level: 'warning' | 'info' | 'debug', message: string): void {
    if (this.problemLogged) return;
    this.problemLogged = true;
    // The peer address is read here, not at accept: it costs a getpeername() per connection,
    // and most connections never log (a socket already torn down shows `?`).
    const { remoteAddress, remotePort } = this.client;
    this.env.log[level](`#${this.index} ${remoteAddress ?? '?'}:${remotePort ?? '?'}: ${message}`);
  }
}
