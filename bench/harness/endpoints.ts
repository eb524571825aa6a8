// The running backends and proxies of a bench run, started on first use and shared by the
// scenarios. A backend whose binary is missing makes its protocol's scenarios skip loudly.
// Every new proxy process is warmed up with the same load before use, so a process started for
// a late scenario (chaos) is as warm (JIT, heap) as one that has served earlier scenarios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '../../test/helpers/backends.js';
import { startBenchBackends, startMemcached, startPairingProxy, startPipeProxy, startPostgres, startRedis, startVaurien, type Child, type ProxyLaunch } from './processes.js';
import type { TargetName } from './scenario.js';
import { startToxiproxy, startVaurienServer } from './processes.js';
import { closedLoop } from '../load/closed-loop.js';
import { exchangeWire, prepareBackend, wires, type ProtocolName } from './wire.js';

let faultLogDir: string | undefined;

/** A fresh fault log file in a temporary folder, removed when the bench exits. */
function faultLogFile(): string {
  if (faultLogDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'vaurien-bench-faults-'));
    faultLogDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return join(faultLogDir, `faults-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
}

/** A protocol cannot run here (its backend binary is missing). */
export class SkipProtocol extends Error {}

const BINARIES: Readonly<Partial<Record<ProtocolName, string>>> = { redis: 'redis-server', memcache: 'memcached', postgres: 'postgres' };

/** vaurien's flags for each target. */
function vaurienArgs(protocol: ProtocolName, target: TargetName): string[] {
  switch (target) {
    case 'vaurien-tcp':
      return ['--protocol', 'tcp'];
    case 'vaurien':
      return ['--protocol', protocol];
    case 'vaurien-delay':
      return ['--protocol', protocol, '--behavior', '10:delay', '--behavior-delay-sleep', '0.1'];
    case 'vaurien-error':
      return ['--protocol', protocol, '--behavior', '100:error'];
    case 'vaurien-faults':
      return ['--protocol', protocol, '--behavior', '10:error'];
    case 'vaurien-faultlog':
      return ['--protocol', protocol, '--behavior', '10:error', '--fault-log', faultLogFile()];
    case 'vaurien-api':
    case 'vaurien-watched':
    case 'vaurien-tab':
      return ['--protocol', protocol, '--http', '--http-host', '127.0.0.1', '--http-port', '0'];
    default:
      throw new Error(`${target} is not a vaurien target`);
  }
}

/** True when the real Toxiproxy can be a target (`TOXIPROXY_BIN` is set): the tcp, http and redis rows then run it too. */
export const TOXIPROXY_ON = (process.env['TOXIPROXY_BIN'] ?? '') !== '';

/** `targets`, with the real Toxiproxy (no toxic, in front of the same backend) when it can run. */
export function withToxiproxy<T extends string>(targets: readonly T[]): Array<T | 'toxiproxy'> {
  return TOXIPROXY_ON ? [...targets, 'toxiproxy'] : [...targets];
}

/** The real Toxiproxy's server, an oracle for the `server/` rows: `TOXIPROXY_BIN` (see shared/peers). */
export function toxiproxyBinary(): string {
  const binary = process.env['TOXIPROXY_BIN'];
  if (binary === undefined || binary === '') throw new Error('TOXIPROXY_BIN is not set');
  return binary;
}

export class Endpoints {
  private readonly started = new Map<string, Promise<Child>>();
  private benchBackends: ReturnType<typeof startBenchBackends> | undefined;

  constructor(
    private readonly launch: ProxyLaunch,
    /** The open-file limit children inherit: memcached refuses to start with -c above it. */
    private readonly fdLimit: number,
    /** How long each new proxy is warmed up (8 connections, 4 requests in flight each). */
    private readonly warmSeconds: number,
  ) {}

  /** The binary a protocol's backend needs, or why it cannot run. */
  missingBinary(protocol: ProtocolName): string | undefined {
    const binary = BINARIES[protocol];
    return binary === undefined || findBinary(binary) !== undefined ? undefined : binary;
  }

  backend(protocol: ProtocolName): Promise<Child> {
    return this.once(`${protocol}:backend`, async () => {
      const missing = this.missingBinary(protocol);
      if (missing !== undefined) throw new SkipProtocol(`${missing} not found (apt-get install ${missing})`);
      let child: Child;
      const maxClients = Math.min(30_000, this.fdLimit - 256);
      if (protocol === 'redis') child = await startRedis(findBinary('redis-server') as string, maxClients);
      else if (protocol === 'memcache') child = await startMemcached(findBinary('memcached') as string, maxClients);
      else if (protocol === 'postgres') child = await startPostgres();
      else {
        this.benchBackends ??= startBenchBackends();
        const { echo, http } = await this.benchBackends;
        child = protocol === 'tcp' ? echo : http;
      }
      await prepareBackend(protocol, child.port);
      return child;
    });
  }

  /** The shared endpoint of `target` for `protocol`. */
  get(protocol: ProtocolName, target: TargetName): Promise<Child> {
    if (target === 'direct') return this.backend(protocol);
    return this.once(`${protocol}:${target}`, () => this.fresh(protocol, target));
  }

  /**
   * A new proxy process of `target` for `protocol`, the caller's to stop (memory scenarios);
   * `extraArgs` go to vaurien after the target's own (`--workers 2`).
   */
  async fresh(protocol: ProtocolName, target: TargetName, extraArgs: readonly string[] = []): Promise<Child> {
    const backend = await this.backend(protocol);
    const label = target === 'pipe' ? `pipe-${protocol}` : target === 'vaurien-tcp' ? `vaurien-tcp-on-${protocol}` : `${target}-${protocol}`;
    const child = await this.start(protocol, target, backend.port, label, extraArgs);
    await this.check(protocol, target, child.port);
    await closedLoop({ port: child.port, connections: 8, pipeline: 4, seconds: this.warmSeconds, wire: wires[protocol] });
    return child;
  }

  private start(protocol: ProtocolName, target: TargetName, backendPort: number, label: string, extraArgs: readonly string[]): Promise<Child> {
    switch (target) {
      case 'pipe':
        return startPipeProxy(this.launch, backendPort, label);
      case 'pair':
        if (protocol !== 'redis' && protocol !== 'memcache') throw new Error(`the pairing proxy speaks redis and memcache, not ${protocol}`);
        return startPairingProxy(this.launch, protocol, backendPort, label);
      case 'vaurien-server':
        return startVaurienServer(this.launch, backendPort, label);
      case 'toxiproxy':
        return startToxiproxy(toxiproxyBinary(), backendPort, undefined);
      case 'toxiproxy-latency0':
        return startToxiproxy(toxiproxyBinary(), backendPort, { type: 'latency', attributes: { latency: 0 } });
      default:
        return startVaurien(this.launch, backendPort, [...vaurienArgs(protocol, target), ...extraArgs], label);
    }
  }

  /** One request through a new endpoint: it answers, and as this target should. */
  private async check(protocol: ProtocolName, target: TargetName, port: number): Promise<void> {
    // Chaos a draw may give the check's one request: nothing to compare its answer with.
    if (target === 'vaurien-delay' || target === 'vaurien-faults' || target === 'vaurien-faultlog') return;
    const wire = wires[protocol];
    const answer = (await exchangeWire(port, wire)).toString('latin1');
    const expected = target === 'vaurien-error' ? (protocol === 'redis' ? '-ERR' : '') : protocol === 'http' ? ' 200 ' : protocol === 'postgres' ? 'SELECT 1' : '0123456789abcdef';
    if (!answer.includes(expected)) throw new Error(`${protocol} ${target} answered ${JSON.stringify(answer.slice(0, 200))}`);
  }

  private once(key: string, start: () => Promise<Child>): Promise<Child> {
    let child = this.started.get(key);
    if (child === undefined) {
      child = start();
      this.started.set(key, child);
    }
    return child;
  }
}
