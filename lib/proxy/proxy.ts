// The proxy: a listening socket, its connections, and the settings that can change while it
// runs (behavior set, options, backend). New settings apply to new exchanges (behavior) or
// new connections (backend); what is in flight keeps what it was given.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import '../../plugins/index.js';
import { BehaviorPlan } from '../choose/picker.js';
import { planFromSpec } from '../choose/plan-from-spec.js';
import { formatWeightedSpec, type WeightedSpec } from '../choose/weighted-spec.js';
import { UsageError } from '../cli/usage-error.js';
import { defaultsOf, MAX_TIMER_SECONDS, type OptionValues } from '../contract/options.js';
import type { ProtocolDefinition } from '../contract/protocol.js';
import { ProxyStats, type StatsSnapshot } from '../control/stats.js';
import { FaultFeed } from '../faults/fault-feed.js';
import { openFaultLog, type FaultLogFile } from '../faults/fault-log-file.js';
import type { FaultListener } from '../faults/fault-record.js';
import { FaultWatcher } from '../faults/fault-watcher.js';
import { silentLogger, type Logger } from '../log.js';
import { mergeOptions } from '../options/option-types.js';
import type { ExchangePick } from '../pipeline/exchanges.js';
import { Behavior } from '../registry/behaviors.js';
import { Protocol } from '../registry/protocols.js';
import { deriveSeed, randomSeed } from '../rng.js';
import { formatHostPort, parseHostPort, type HostPort } from './address.js';
import { BackendPool } from './backend-pool.js';
import type { BehaviorSource } from './behavior-source.js';
import type { BackendDialer } from './backend-dialer.js';
import { tlsDialer } from './backend-tls.js';
import type { StreamBehavior } from '../pipeline/connection-pipelines.js';
import { Connection, type ConnectionEnvironment, type ExchangeEvent, type RngSource } from './connection.js';
import { ClientOpenings } from './client-openings.js';
import { TlsListener } from './tls-listener.js';
import { loadBackendTls, loadProxyTls, type BackendTls, type BackendTlsOptions, type ProxyTls, type ProxyTlsOptions, type TlsSetting } from './tls-options.js';
import type { TlsSwitchTerms } from './tls-switch.js';

const NO_STREAMS: readonly StreamBehavior[] = [];
import { DeadlineSweep } from './deadline-sweep.js';
import { OpenConnections } from './open-connections.js';

/** Options of a behavior or protocol as given by a user: raw values, checked against the option table. */
export type RawOptions = Readonly<Record<string, unknown>>;

/** The options of a behavior change: one behavior's flat (`{ sleep: 2 }`), or per behavior name (`{ delay: { sleep: 2 } }`). */
export type BehaviorChangeOptions = RawOptions | Readonly<Record<string, RawOptions>>;

export interface ProxyOptions {
  /** Where to forward, `host:port` or `{ host, port }`. */
  readonly backend: string | HostPort;
  /** A registered protocol name; default `tcp`. */
  readonly protocol?: string;
  readonly protocolOptions?: RawOptions;
  /** `PERCENT:NAME[,…]`; default `100:dummy`. */
  readonly behavior?: string;
  /** Options per behavior name, e.g. `{ delay: { sleep: 0.2 } }`. */
  readonly behaviorOptions?: Readonly<Record<string, RawOptions>>;
  /** Backend connect timeout and idle timeout, seconds; default 30. */
  readonly timeout?: number;
  /** Never close a connection for being idle. */
  readonly stayConnected?: boolean;
  readonly backlog?: number;
  /** With a protocol's `reuse_socket`: most idle backend connections kept (default 100). */
  readonly poolMaxSize?: number;
  /** With `reuse_socket`: seconds an idle backend connection is kept (default 30). */
  readonly poolTimeout?: number;
  /** Seed of the behavior selection; random (and readable on `proxy.seed`) when absent. */
  readonly seed?: number;
  /**
   * Terminate TLS from clients with this certificate and key: PEM contents (`cert`, `key`) or
   * file paths (`certFile`, `keyFile`). Behaviors then act on the decrypted traffic.
   */
  readonly tls?: ProxyTlsOptions;
  /**
   * Connect to the backend with TLS: `true` (its certificate checked against Node's CAs), or
   * `{ ca }` / `{ caFile }` (against these), or `{ insecure: true }` (not checked).
   */
  readonly backendTls?: boolean | BackendTlsOptions;
  /**
   * How connections are numbered (their name in logs, and with the seed, their randomness):
   * `first`, `first + step`, … (default 1, 2, 3…). Worker w of n in a cluster numbers w+1,
   * w+1+n, …, so no two connections of one run share a number.
   */
  readonly numbering?: { readonly first: number; readonly step: number };
  readonly log?: Logger;
  /** Called for every exchange with the behavior it got (off the hot path when absent). */
  readonly onExchange?: (event: ExchangeEvent) => void;
  /** Behaviors drawn by something else than the weighted set (a `vaurien server` proxy's toxics). */
  readonly behaviors?: BehaviorSource;
  /**
   * The fault log (SPEC 13): a file to append JSON lines to (`-`: stdout), or a function given
   * each record. More listeners: `proxy.faults.subscribe()`.
   */
  readonly faultLog?: string | FaultListener;
  /** Records every exchange, dummy ones too (`--fault-log-all`). */
  readonly faultLogAll?: boolean;
  /** The proxy's name in fault records; default its listen address (`127.0.0.1:8000`). */
  readonly name?: string;
}

export interface BehaviorSetting {
  /** The weighted set, as users write it: `delay`, `20:delay,10:error`. */
  readonly behavior: string;
  /** Options in force for each behavior of the set. */
  readonly options: Readonly<Record<string, OptionValues>>;
}

export class VaurienProxy {
  readonly seed: number;
  /** The fault records of this proxy's exchanges, for whoever subscribes (the fault log, `GET /events`). */
  readonly faults = new FaultFeed();
  readonly protocol: ProtocolDefinition;
  readonly protocolOptions: OptionValues;
  private readonly statsCounters: ProxyStats;
  private readonly server: Server;
  private readonly connections = new OpenConnections<Connection>();
  private readonly exchangeCounts = new Map<string, number>();
  /** Options configured at start (flags, config file): a live change starts again from these. */
  private readonly configuredOptions = new Map<string, OptionValues>();
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly stayConnected: boolean;
  private readonly backlog: number;
  private backend: HostPort;
  private spec: WeightedSpec = [];
  private plan = new BehaviorPlan([]);
  private nextIndex: number;
  private readonly indexStep: number;
  private listening: HostPort | undefined;
  private readonly onExchange: ((event: ExchangeEvent) => void) | undefined;
  private readonly pool: BackendPool | undefined;
  private readonly sweep: DeadlineSweep;
  private readonly source: BehaviorSource | undefined;
  /** TLS toward clients and toward the backend, as the settings show them. */
  private readonly tlsSetting: TlsSetting;
  private readonly tlsListener: TlsListener | undefined;
  private readonly dialer: BackendDialer | undefined;
  /**
   * TLS on both sides for a protocol that switches to TLS inside the connection: clients that
   * start in plaintext are told from those that start with TLS, and their switch is terminated.
   */
  private readonly openings: ClientOpenings | undefined;
  private readonly switchTerms: TlsSwitchTerms | undefined;
  private readonly faultWatcher: FaultWatcher;
  private readonly faultLogFile: FaultLogFile | undefined;
  private readonly givenName: string | undefined;
  /** What `--fault-log-all` draws instead of `undefined` for a dummy exchange: dummy, tracked. */
  private dummyPick: ExchangePick | undefined;
  /** What every connection calls to draw an exchange's behavior: one function for all of them. */
  private readonly chooseForConnection = (source: RngSource): ExchangePick | undefined => this.choose(source);
  private readonly streamsForConnection = (connection: Connection): readonly StreamBehavior[] => this.streamBehaviorsFor(connection);
  private environmentIfMade: ConnectionEnvironment | undefined;
  private switchingEnvironmentIfMade: ConnectionEnvironment | undefined;

  constructor(options: ProxyOptions) {
    this.log = options.log ?? silentLogger;
    this.seed = options.seed ?? randomSeed();
    this.nextIndex = options.numbering?.first ?? 1;
    this.indexStep = options.numbering?.step ?? 1;
    if (!(Number.isSafeInteger(this.nextIndex) && this.nextIndex >= 1 && Number.isSafeInteger(this.indexStep) && this.indexStep >= 1)) {
      throw new UsageError(`numbering: first and step must be whole numbers of at least 1, got ${this.nextIndex} and ${this.indexStep}`);
    }
    this.backend = typeof options.backend === 'string' ? parseHostPort(options.backend, '--backend') : options.backend;
    this.protocol = Protocol.require(options.protocol ?? 'tcp', '--protocol');
    this.protocolOptions = mergeOptions(
      this.protocol.options,
      defaultsOf(this.protocol.options),
      options.protocolOptions ?? {},
      (name) => `--protocol-${this.protocol.name}-${name.replaceAll('_', '-')}`,
    );
    const timeout = options.timeout ?? 30;
    if (!(timeout > 0 && timeout <= MAX_TIMER_SECONDS)) throw new UsageError(`--timeout: must be more than 0 and at most ${MAX_TIMER_SECONDS} seconds, got ${timeout}`);
    this.timeoutMs = timeout * 1000;
    this.stayConnected = options.stayConnected ?? false;
    this.sweep = new DeadlineSweep(this.timeoutMs, this.connections);
    this.backlog = options.backlog ?? 8192;
    this.onExchange = options.onExchange;
    this.source = options.behaviors;
    this.pool = this.createPool(options);
    for (const [name, raw] of Object.entries(options.behaviorOptions ?? {})) {
      const definition = Behavior.require(name, `--behavior-${name}`);
      this.configuredOptions.set(
        name,
        mergeOptions(definition.options, defaultsOf(definition.options), raw, (option) => `--behavior-${name}-${option.replaceAll('_', '-')}`),
      );
    }
    this.statsCounters = new ProxyStats(this.protocol.name);
    this.setBehavior(options.behavior ?? '100:dummy', {}, '--behavior');
    const proxyTls = options.tls === undefined ? undefined : loadProxyTls(options.tls);
    const backendTls = loadBackendTls(options.backendTls);
    this.tlsSetting = { proxy: proxyTls?.view ?? null, backend: backendTls?.view ?? null };
    this.dialer = backendTls === undefined ? undefined : tlsDialer(backendTls);
    const tlsListener = proxyTls === undefined ? undefined : new TlsListener(proxyTls, this.timeoutMs, this.log, (socket) => this.accept(socket));
    this.tlsListener = tlsListener;
    this.switchTerms = this.protocol.switchesToTls === true ? switchTerms(proxyTls, backendTls, this.timeoutMs) : undefined;
    this.openings =
      tlsListener === undefined || this.switchTerms === undefined
        ? undefined
        : new ClientOpenings(this.protocol.serverFirst === true, this.timeoutMs, this.log, {
            tls: (socket) => tlsListener.adopt(socket),
            plain: (socket) => this.accept(socket, true),
          });
    if (this.protocol.switchesToTls === true && (proxyTls === undefined) !== (backendTls === undefined)) {
      // One side only: its TLS starts with the connection, as for any protocol; the protocol's own switch passes raw.
      this.log.info(`${this.protocol.name}: TLS ${proxyTls === undefined ? 'toward the backend' : 'toward clients'} only: it starts with the connection; a switch to TLS inside the protocol is terminated only with TLS on both sides (--tls-cert and --backend-tls)`);
    }
    this.givenName = options.name;
    this.faultWatcher = new FaultWatcher(this.faults, this.protocol, () => this.name);
    this.faults.all = options.faultLogAll ?? false;
    if (typeof options.faultLog === 'function') this.faults.subscribe(options.faultLog);
    else if (options.faultLog !== undefined) {
      this.faultLogFile = openFaultLog(options.faultLog);
      this.faults.subscribe(this.faultLogFile.listener);
    }
    const openings = this.openings;
    this.server =
      openings === undefined
        ? (tlsListener?.server ?? createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket)))
        : createServer({ allowHalfOpen: true, noDelay: true }, (socket) => openings.take(socket));
  }

  /** Starts accepting on `host:port` (port 0: any free port) and resolves with the address. */
  listen(port = 8000, host = 'localhost'): Promise<HostPort> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = `--proxy ${formatHostPort({ host, port })}`;
        if (error.code === 'EADDRINUSE') reject(new UsageError(`${where}: address already in use`));
        else if (error.code === 'EACCES') reject(new UsageError(`${where}: permission denied`));
        else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new UsageError(`${where}: no such local address`));
        else reject(error);
      };
      this.server.once('error', onError);
      this.server.listen({ port, host, backlog: this.backlog }, () => {
        this.server.off('error', onError);
        // Listen failures are reported by the promise; later ones only get logged.
        this.server.on('error', (error) => this.log.error(`proxy socket: ${error.message}`));
        const address = this.server.address();
        if (address === null || typeof address === 'string') return reject(new Error('unexpected listen address'));
        this.listening = { host: address.address, port: address.port };
        this.sweep.start();
        resolve(this.listening);
      });
    });
  }

  /** The address the proxy listens on. */
  address(): HostPort {
    if (this.listening === undefined) throw new Error('the proxy is not listening');
    return this.listening;
  }

  /**
   * Stops accepting, lets open exchanges finish for up to `graceSeconds`, then closes
   * whatever is left. Idle connections (between exchanges) are closed at once.
   */
  async close(graceSeconds = 0): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A handshake under way has no exchange to finish, and would hold the server open; nor has
    // a client not yet told apart.
    this.tlsListener?.close();
    this.openings?.close();
    const deadline = performance.now() + graceSeconds * 1000;
    while (this.connections.size > 0 && performance.now() < deadline) {
      for (const connection of this.connections) if (connection.isIdle) connection.destroy();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const closing = [...this.connections].map((connection) => {
      connection.destroy();
      return connection.closed;
    });
    await Promise.all([stopped, ...closing]);
    this.sweep.stop();
    this.pool?.closeAll();
    await this.faultLogFile?.close();
  }

  /** Its name and protocol (the control API's `GET /proxy`). */
  describe(): { readonly name: string; readonly protocol: string } {
    return { name: this.name, protocol: this.protocol.name };
  }

  /** The proxy's name in fault records: given, else its listen address. */
  get name(): string {
    return this.givenName ?? (this.listening === undefined ? 'proxy' : formatHostPort(this.listening));
  }

  /**
   * Sets the behavior of new exchanges. `options` override the options the proxy was started
   * with: one behavior's flat or under its name, a weighted set's under each name (README,
   * "Giving a behavior its options"). A mistake throws UsageError naming `where` (by default this
   * call) and what was written.
   * @example proxy.setBehavior('delay', { sleep: 0.5 })
   * @example proxy.setBehavior('20:delay,10:error', { delay: { sleep: 0.5 } })
   */
  setBehavior(spec: string, options: BehaviorChangeOptions = {}, where = `setBehavior("${spec}")`): void {
    const { spec: parsed, plan } = planFromSpec(spec, options, where, (name) => this.configuredOptions.get(name));
    this.spec = parsed;
    this.plan = plan;
    // Stream behaviors apply to open connections too, for as long as they stay in force.
    for (const connection of this.connections) connection.setStreamBehaviors(this.streamBehaviorsFor(connection));
  }

  getBehavior(): BehaviorSetting {
    const options: Record<string, OptionValues> = {};
    for (const choice of this.plan.choices) options[choice.definition.name] = choice.options;
    return { behavior: formatWeightedSpec(this.spec), options };
  }

  /** Moves the backend; connections already open keep theirs. */
  setBackend(backend: string | HostPort): void {
    this.backend = typeof backend === 'string' ? parseHostPort(backend, 'backend') : backend;
    this.environmentIfMade = undefined;
    this.switchingEnvironmentIfMade = undefined;
  }

  getBackend(): HostPort {
    return this.backend;
  }

  /** Puts the stream behaviors in force again on open connections (the `behaviors` source changed). */
  refreshStreamBehaviors(): void {
    for (const connection of this.connections) connection.setStreamBehaviors(this.streamBehaviorsFor(connection));
  }

  /** TLS toward clients and toward the backend: file paths (or "set"), never key material. */
  getTls(): TlsSetting {
    return this.tlsSetting;
  }

  stats(): StatsSnapshot {
    return this.statsCounters.snapshot();
  }

  /** A pool of backend connections when the protocol's `reuse_socket` asks for it and can use one. */
  private createPool(options: ProxyOptions): BackendPool | undefined {
    if (this.protocolOptions['reuse_socket'] !== true) return undefined;
    if (this.protocol.pairing !== 'ordered' || this.protocol.serverFirst === true) {
      this.log.warning(`reuse_socket is ignored for ${this.protocol.name}: its connections cannot be handed from one client to another`);
      return undefined;
    }
    const maxSize = options.poolMaxSize ?? 100;
    const idleSeconds = options.poolTimeout ?? 30;
    if (!(maxSize >= 1)) throw new UsageError(`--pool-max-size: must be at least 1, got ${maxSize}`);
    if (!(idleSeconds > 0 && idleSeconds <= MAX_TIMER_SECONDS)) {
      throw new UsageError(`--pool-timeout: must be more than 0 and at most ${MAX_TIMER_SECONDS} seconds, got ${idleSeconds}`);
    }
    return new BackendPool(maxSize, idleSeconds * 1000);
  }

  /** What every connection reads at accept: one object for all of them, made again when the backend moves. */
  private get connectionEnvironment(): ConnectionEnvironment {
    return (this.environmentIfMade ??= {
      backend: this.backend,
      protocol: this.protocol,
      protocolOptions: this.protocolOptions,
      timeoutMs: this.timeoutMs,
      stayConnected: this.stayConnected,
      clock: this.sweep,
      log: this.log,
      stats: this.statsCounters,
      choose: this.chooseForConnection,
      streamBehaviorsFor: this.streamsForConnection,
      onExchange: this.onExchange,
      dialer: this.dialer,
      pool: this.pool,
      faults: this.faultWatcher,
      onClosed: (connection) => this.connections.delete(connection),
    });
  }

  /** Clients that start in plaintext on a port that also takes TLS: their backend starts in plaintext too, and both switch when the protocol does. */
  private get switchingEnvironment(): ConnectionEnvironment {
    return (this.switchingEnvironmentIfMade ??= { ...this.connectionEnvironment, dialer: undefined, tlsSwitch: this.switchTerms });
  }

  /** `plainStart`: a client that started in plaintext on a port that also takes TLS (see `openings`). */
  private accept(socket: Socket, plainStart = false): void {
    const index = this.nextIndex;
    this.nextIndex += this.indexStep;
    try {
      const connection = new Connection(socket, plainStart ? this.switchingEnvironment : this.connectionEnvironment, { index, seed: deriveSeed(this.seed, index) });
      this.connections.add(connection);
    } catch (error) {
      // A protocol plugin that cannot even build its framers fails this connection only.
      this.log.error(`#${index}: cannot set up the connection: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    }
  }

  /**
   * The stream behaviors of the setting that apply to `connection`: each one's weight is its
   * chance, drawn once per connection (from its seeded randomness) and kept while it stays in force.
   */
  private streamBehaviorsFor(connection: Connection): readonly StreamBehavior[] {
    if (this.source !== undefined) return this.source.streamBehaviors(connection);
    const choices = this.plan.streamChoices;
    if (choices.length === 0) return NO_STREAMS;
    const behaviors: StreamBehavior[] = [];
    for (const choice of choices) {
      const key = choice.definition.name;
      const draws = (connection.streamDraws ??= new Map());
      let drawn = draws.get(key);
      if (drawn === undefined) {
        drawn = choice.weight >= 100 || connection.rng.float() * 100 < choice.weight;
        draws.set(key, drawn);
      }
      if (drawn) behaviors.push({ key, version: JSON.stringify(choice.options), definition: choice.definition, options: choice.options });
    }
    return behaviors;
  }

  private choose(source: RngSource): ExchangePick | undefined {
    if (this.source !== undefined) {
      const pick = this.source.choose(source);
      this.statsCounters.countExchange(pick?.choice.definition.name ?? 'dummy');
      return pick ?? (this.faults.all ? this.trackedDummy() : undefined);
    }
    if (this.plan.isAllDummy) {
      this.statsCounters.countExchange('dummy');
      return this.faults.all ? this.trackedDummy() : undefined;
    }
    const choice = this.plan.choose(source.rng);
    const name = choice?.definition.name ?? 'dummy';
    this.statsCounters.countExchange(name);
    if (choice === undefined) return this.faults.all ? this.trackedDummy() : undefined;
    const exchangesSoFar = this.exchangeCounts.get(name) ?? 0;
    this.exchangeCounts.set(name, exchangesSoFar + 1);
    return { choice, exchangesSoFar };
  }

  /** `--fault-log-all`: a dummy exchange is tracked (and so recorded) while the feed has listeners. */
  private trackedDummy(): ExchangePick | undefined {
    if (!this.faults.listening) return undefined;
    return (this.dummyPick ??= { choice: { definition: Behavior.require('dummy', '--fault-log-all'), options: {}, weight: 100 }, exchangesSoFar: 0 });
  }
}

/** TLS toward both peers for a protocol's switch to TLS, when both sides have it; one context for every connection. */
function switchTerms(proxyTls: ProxyTls | undefined, backendTls: BackendTls | undefined, timeoutMs: number): TlsSwitchTerms | undefined {
  if (proxyTls === undefined || backendTls === undefined) return undefined;
  return { clientContext: createSecureContext({ cert: proxyTls.cert, key: proxyTls.key }), backendTls, handshakeTimeoutMs: timeoutMs };
}

/** Creates an in-process proxy; call `listen()` to start it. */
export function createProxy(options: ProxyOptions): VaurienProxy {
  return new VaurienProxy(options);
}
