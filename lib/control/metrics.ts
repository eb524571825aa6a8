// The proxy's counters in Prometheus text format, through prom-client with a registry of its
// own (two proxies in one process never mix their numbers). Values are read from the stats
// snapshot at scrape time: the traffic path keeps bumping plain numbers and never touches this.
import { Counter, Gauge, Registry } from 'prom-client';
import type { StatsSnapshot } from './stats.js';

export interface ProxyMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** The exposition text of every metric, read from a fresh snapshot. */
  render(): Promise<string>;
}

/**
 * Metrics (all labelled with `protocol`):
 * - `vaurien_connections_total`, `vaurien_connections_open`
 * - `vaurien_exchanges_total{behavior}`: exchanges each behavior was picked for (dummy included)
 * - `vaurien_faults_injected_total{behavior}`: exchanges a behavior acted on
 * - `vaurien_bytes_total{direction}`: bytes forwarded, `request` (to the backend) and `response`
 */
export function createProxyMetrics(snapshot: () => StatsSnapshot | Promise<StatsSnapshot>, prefix = 'vaurien_'): ProxyMetrics {
  const registry = new Registry();
  let current: Promise<StatsSnapshot> | undefined;
  // Read once per scrape: every metric of one answer shows the same instant. prom-client starts
  // every metric's `collect` in the same turn, so the snapshot is forgotten on the next one (a
  // registry merged into an application's own is scraped without `render`, and must not be
  // served the first snapshot forever). A cluster's snapshot comes from its workers: a promise.
  const read = (): Promise<StatsSnapshot> => {
    if (current === undefined) {
      current = Promise.resolve(snapshot());
      setImmediate(() => (current = undefined));
    }
    return current;
  };

  new Counter({
    name: `${prefix}connections_total`,
    help: 'Client connections accepted',
    labelNames: ['protocol'],
    registers: [registry],
    async collect() {
      const stats = await read();
      this.reset();
      this.inc({ protocol: stats.protocol }, stats.connections.total);
    },
  });
  new Gauge({
    name: `${prefix}connections_open`,
    help: 'Client connections open now',
    labelNames: ['protocol'],
    registers: [registry],
    async collect() {
      const stats = await read();
      this.set({ protocol: stats.protocol }, stats.connections.open);
    },
  });
  perLabel('exchanges_total', 'Exchanges, by the behavior picked for them', 'behavior', (stats) => stats.exchanges);
  perLabel('faults_injected_total', 'Exchanges a behavior acted on (delayed, errored, hung, cut), by behavior', 'behavior', (stats) => stats.faults);
  perLabel('bytes_total', 'Bytes forwarded, by direction (request: to the backend, response: to the client)', 'direction', (stats) => stats.bytes);

  function perLabel(name: string, help: string, label: string, values: (stats: StatsSnapshot) => Readonly<Record<string, number>>): void {
    new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: [label, 'protocol'],
      registers: [registry],
      async collect() {
        const stats = await read();
        this.reset();
        for (const [key, value] of Object.entries(values(stats))) this.inc({ [label]: key, protocol: stats.protocol }, value);
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}
