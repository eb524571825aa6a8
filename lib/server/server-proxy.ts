// One named proxy of a `vaurien server`: its Toxiproxy fields, its toxics, and while enabled a
// VaurienProxy whose behaviors come from them. A toxic change reaches open connections at once,
// losing no byte; a new listen, upstream or protocol restarts it, as Toxiproxy does.
import { addSnapshots, type StatsSnapshot } from '../control/stats.js';
import type { Logger } from '../log.js';
import { parseHostPort, type HostPort } from '../proxy/address.js';
import { VaurienProxy } from '../proxy/proxy.js';
import { deriveSeed, nameNumber } from '../rng.js';
import { bindError, formatListen, resolveListen } from './listen-address.js';
import type { ProxyFields } from './proxy-input.js';
import type { ServerFaults } from './server-faults.js';
import { parseNewToxic, parseToxicUpdate, toxicJson, type Toxic } from './toxic.js';
import { ToxicSource, type StreamRecording } from './toxic-source.js';
import { toxicNotFound } from './toxiproxy-error.js';

export interface ServerProxySettings {
  readonly serverSeed: number;
  readonly log: Logger;
  /** Where its fault records go (the server's fault log and events). */
  readonly faults: ServerFaults;
}

/** Bytes and connections of a proxy since it was created, across its restarts. */
export interface ProxyTraffic {
  readonly connections: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

export class ServerProxy {
  readonly name: string;
  /** As Toxiproxy shows it: resolved once listening, as given otherwise. */
  listen: string;
  upstream: string;
  protocol: string;
  enabled = false;
  private toxics: Toxic[] = [];
  private readonly expiries = new Map<string, { readonly timer: NodeJS.Timeout; readonly endsAt: number }>();
  private running: VaurienProxy | undefined;
  private detachFaults: (() => void) | undefined;
  private source: ToxicSource;
  /** The counters of its stopped runs, added up. */
  private retired: StatsSnapshot;
  /** Connection directions each stream toxic type acted on (its faults), across runs and protocols. */
  private readonly streamFaults = new Map<string, number>();
  private readonly createdAt = performance.now();

  constructor(
    fields: ProxyFields,
    private readonly settings: ServerProxySettings,
  ) {
    this.name = fields.name;
    this.listen = fields.listen;
    this.upstream = fields.upstream;
    this.protocol = fields.protocol;
    this.source = this.toxicSource(fields.protocol);
    this.retired = addSnapshots([], fields.protocol, 0);
  }

  /** Starts listening (no-op when enabled); throws Toxiproxy's 500 when it cannot. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const address = await resolveListen(this.listen);
    const proxy = new VaurienProxy({
      backend: upstreamAddress(this.upstream),
      protocol: this.protocol,
      // Each proxy's draws depend on the server's seed and its name only: adding another proxy changes nothing here.
      seed: deriveSeed(this.settings.serverSeed, nameNumber(this.name)),
      log: this.settings.log,
      // Toxiproxy never closes a connection for being idle (a `timeout` toxic does that).
      stayConnected: true,
      behaviors: this.source,
      // Its fault records name it as Toxiproxy clients do.
      name: this.name,
    });
    let bound: HostPort;
    try {
      bound = await proxy.listen(address.port, address.host);
    } catch (error) {
      await proxy.close();
      throw bindError(address, error);
    }
    this.running = proxy;
    this.detachFaults = this.settings.faults.attach(proxy.faults);
    this.listen = formatListen(bound);
    this.enabled = true;
    this.settings.log.info(`proxy ${this.name}: listening on ${this.listen} -> ${this.upstream} (${this.protocol})`);
  }

  /** Stops listening and closes every connection (no-op when disabled). */
  async stop(): Promise<void> {
    const proxy = this.running;
    this.enabled = false;
    if (proxy === undefined) return;
    this.running = undefined;
    await proxy.close(0);
    // After the close: the records of the connections it closed still reach the log.
    this.detachFaults?.();
    this.detachFaults = undefined;
    this.retired = addSnapshots([this.retired, proxy.stats()], this.protocol, 0);
    this.settings.log.info(`proxy ${this.name}: stopped`);
  }

  /** Toxiproxy's update: a new listen, upstream (or protocol) restarts the proxy; `enabled` starts or stops it. */
  async update(fields: ProxyFields): Promise<void> {
    const resolved = formatListen(await resolveListen(fields.listen));
    if (resolved !== this.listen || fields.upstream !== this.upstream || fields.protocol !== this.protocol) {
      await this.stop();
      this.listen = fields.listen;
      this.upstream = fields.upstream;
      if (fields.protocol !== this.protocol) {
        this.protocol = fields.protocol;
        this.source = this.toxicSource(fields.protocol);
        this.applyToxics();
      }
    }
    if (fields.enabled !== this.enabled) {
      if (fields.enabled) await this.start();
      else await this.stop();
    }
  }

  /** True when `other` would need a restart to become this proxy (/populate keeps those that do not). */
  async differs(fields: ProxyFields): Promise<boolean> {
    return formatListen(await resolveListen(fields.listen)) !== this.listen || fields.upstream !== this.upstream || fields.protocol !== this.protocol;
  }

  toxic(name: string): Toxic {
    const toxic = this.toxics.find((candidate) => candidate.name === name);
    if (toxic === undefined) throw toxicNotFound();
    return toxic;
  }

  addToxic(body: unknown): Toxic {
    const toxic = parseNewToxic(body, (name) => this.toxics.some((other) => other.name === name), this.warn);
    this.toxics.push(toxic);
    this.expireLater(toxic);
    this.applyToxics();
    this.settings.log.info(`proxy ${this.name}: toxic ${toxic.name} added (${toxic.type} ${toxic.stream}, toxicity ${toxic.toxicity})`);
    return toxic;
  }

  updateToxic(name: string, body: unknown): Toxic {
    const updated = parseToxicUpdate(this.toxic(name), body, this.warn);
    this.toxics = this.toxics.map((toxic) => (toxic.name === name ? updated : toxic));
    if (body !== null && typeof body === 'object' && 'duration' in body) this.expireLater(updated);
    this.applyToxics();
    return updated;
  }

  removeToxic(name: string): void {
    this.toxic(name);
    this.toxics = this.toxics.filter((toxic) => toxic.name !== name);
    this.clearExpiry(name);
    this.source.forget(name);
    this.applyToxics();
    this.settings.log.info(`proxy ${this.name}: toxic ${name} removed`);
  }

  resetToxics(): void {
    for (const name of this.expiries.keys()) this.clearExpiry(name);
    for (const toxic of this.toxics) this.source.forget(toxic.name);
    this.toxics = [];
    this.applyToxics();
  }

  /** Toxiproxy lists a proxy's upstream toxics first, then its downstream ones, each in the order added. */
  listToxics(): readonly Toxic[] {
    return [...this.toxics.filter((toxic) => toxic.direction === 'upstream'), ...this.toxics.filter((toxic) => toxic.direction === 'downstream')];
  }

  toxicJson(toxic: Toxic): Record<string, unknown> {
    const expiry = this.expiries.get(toxic.name);
    return toxicJson(toxic, expiry === undefined ? undefined : (expiry.endsAt - performance.now()) / 1000);
  }

  /** The proxy as Toxiproxy shows it (without its `"Logger": {}`), `protocol` when not tcp. */
  json(): Record<string, unknown> {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      ...(this.protocol !== 'tcp' ? { protocol: this.protocol } : {}),
      toxics: this.listToxics().map((toxic) => this.toxicJson(toxic)),
    };
  }

  /** Connections and bytes since the proxy was created. */
  traffic(): ProxyTraffic {
    const { connections, bytes } = this.stats();
    return { connections: connections.total, requestBytes: bytes.request, responseBytes: bytes.response };
  }

  /** Its counters since it was created, across restarts (the dashboard's); a stream toxic's faults are the connection directions it acted on. */
  stats(): StatsSnapshot {
    const runs = this.running === undefined ? [this.retired] : [this.retired, this.running.stats()];
    const sum = addSnapshots(runs, this.protocol, Math.round((performance.now() - this.createdAt) / 10) / 100);
    if (this.streamFaults.size === 0) return sum;
    const faults: Record<string, number> = { ...sum.faults };
    for (const [type, count] of this.streamFaults) faults[type] = (faults[type] ?? 0) + count;
    return { ...sum, faults };
  }

  /** The server closes: no timer outlives it. */
  async dispose(): Promise<void> {
    for (const name of [...this.expiries.keys()]) this.clearExpiry(name);
    await this.stop();
  }

  /** Behavior toxics per exchange on a framed protocol; stream toxics recorded while the fault feed has listeners. */
  private toxicSource(protocol: string): ToxicSource {
    const recording = (): StreamRecording | undefined => {
      const feed = this.running?.faults;
      return feed?.listening === true ? { proxy: this.name, publish: (record) => feed.publish(record) } : undefined;
    };
    return new ToxicSource(protocol !== 'tcp', recording, this.streamFaults);
  }

  private readonly warn = (message: string): void => this.settings.log.warning(`proxy ${this.name}: ${message}`);

  private applyToxics(): void {
    this.source.update(this.listToxics());
    this.running?.refreshStreamBehaviors();
  }

  /** A toxic with a `duration` removes itself when it runs out (a new duration starts the count again). */
  private expireLater(toxic: Toxic): void {
    this.clearExpiry(toxic.name);
    if (toxic.durationSeconds === undefined) return;
    const timer = setTimeout(() => {
      this.expiries.delete(toxic.name);
      if (this.toxics.some((other) => other.name === toxic.name)) this.removeToxic(toxic.name);
    }, toxic.durationSeconds * 1000);
    timer.unref();
    this.expiries.set(toxic.name, { timer, endsAt: performance.now() + toxic.durationSeconds * 1000 });
  }

  private clearExpiry(name: string): void {
    const expiry = this.expiries.get(name);
    if (expiry === undefined) return;
    clearTimeout(expiry.timer);
    this.expiries.delete(name);
  }
}

/**
 * Where connections go. Toxiproxy takes any upstream string and fails each connection's dial;
 * one that does not read as host:port gets port 0 here, which refuses every connection alike.
 */
function upstreamAddress(upstream: string): HostPort {
  try {
    return parseHostPort(upstream, 'upstream');
  } catch {
    return { host: upstream === '' ? '127.0.0.1' : upstream, port: 0 };
  }
}
