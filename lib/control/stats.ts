// Counters of one proxy: connections, exchanges per behavior, bytes per direction, faults
// injected. Plain numbers bumped on the hot path; snapshots are taken by the control API.
import type { Direction } from '../contract/message.js';

export interface StatsSnapshot {
  readonly protocol: string;
  readonly connections: { readonly open: number; readonly total: number };
  readonly exchanges: Readonly<Record<string, number>>;
  readonly bytes: Readonly<Record<Direction, number>>;
  /** Faults a behavior injected: error replies, corrupted replies, closed connections. */
  readonly faults: Readonly<Record<string, number>>;
  readonly uptimeSeconds: number;
  /** With --workers: each worker's process and connections (the counters above are their sums). */
  readonly workers?: ReadonlyArray<{ readonly pid: number; readonly connections: { readonly open: number; readonly total: number } }>;
}

export class ProxyStats {
  openConnections = 0;
  totalConnections = 0;
  readonly bytes: Record<Direction, number> = { request: 0, response: 0 };
  private readonly exchanges = new Map<string, number>();
  private readonly faults = new Map<string, number>();
  private readonly startedAt = performance.now();

  constructor(private readonly protocol: string) {}

  /** Dummy exchanges, counted apart: a plain increment on the hot path. */
  private dummyExchanges = 0;

  countExchange(behavior: string): void {
    if (behavior === 'dummy') this.dummyExchanges++;
    else this.exchanges.set(behavior, (this.exchanges.get(behavior) ?? 0) + 1);
  }

  countFault(behavior: string): void {
    this.faults.set(behavior, (this.faults.get(behavior) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return {
      protocol: this.protocol,
      connections: { open: this.openConnections, total: this.totalConnections },
      exchanges: this.dummyExchanges > 0 ? { dummy: this.dummyExchanges, ...Object.fromEntries(this.exchanges) } : Object.fromEntries(this.exchanges),
      bytes: { ...this.bytes },
      faults: Object.fromEntries(this.faults),
      uptimeSeconds: Math.round((performance.now() - this.startedAt) / 10) / 100,
    };
  }
}

/** Counters added up (connections, exchanges, bytes, faults); `uptimeSeconds` is the caller's. */
export function addSnapshots(parts: readonly StatsSnapshot[], protocol: string, uptimeSeconds: number): StatsSnapshot {
  const connections = { open: 0, total: 0 };
  const exchanges: Record<string, number> = {};
  const bytes: Record<Direction, number> = { request: 0, response: 0 };
  const faults: Record<string, number> = {};
  const add = (into: Record<string, number>, from: Readonly<Record<string, number>>): void => {
    for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
  };
  for (const stats of parts) {
    connections.open += stats.connections.open;
    connections.total += stats.connections.total;
    add(exchanges, stats.exchanges);
    add(bytes, stats.bytes);
    add(faults, stats.faults);
  }
  return { protocol, connections, exchanges, bytes, faults, uptimeSeconds };
}

/** The counters of a cluster: its workers' snapshots added up, each worker's connections listed. */
export function sumSnapshots(parts: ReadonlyArray<{ readonly pid: number; readonly stats: StatsSnapshot }>, protocol: string, uptimeSeconds: number): StatsSnapshot {
  return {
    ...addSnapshots(
      parts.map((part) => part.stats),
      protocol,
      uptimeSeconds,
    ),
    workers: parts.map(({ pid, stats }) => ({ pid, connections: stats.connections })),
  };
}
