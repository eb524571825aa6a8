// TLS rows (issue #16): request/response with TLS on both hops (HTTP keep-alive to node:https,
// redis GET to redis-server --tls-port), 1 and 50 connections: vaurien against a TLS pipe proxy
// and direct TLS; v-tcp (same TLS, --protocol tcp) splits TLS's cost from framing's.
import { cpuMicros } from '../harness/processes.js';
import type { Check, RowSpec, Scenario, TargetName } from '../harness/scenario.js';
import { percentile } from '../harness/stats.js';
import { TLS_PROTOCOL, TlsEndpoints, type TlsKind } from '../harness/tls-endpoints.js';
import { wires } from '../harness/wire.js';
import { closedLoop } from '../load/closed-loop.js';
import { cpuRow } from './request-rate.js';

const TARGETS: readonly TargetName[] = ['direct', 'pipe', 'vaurien-tcp', 'vaurien'];
/** Ours, not issue #5's: with TLS on both hops, vaurien within 10 % of the TLS pipe proxy's rate. */
const VERSUS_PIPE: Check[] = [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 0.9 }];

let shared: TlsEndpoints | undefined;

function tlsRate(kind: TlsKind, name: string, connections: number, rows: RowSpec[]): Scenario {
  const protocol = TLS_PROTOCOL[kind];
  return {
    id: `tls/${kind}-${name}`,
    protocol,
    group: 'tls',
    targets: TARGETS,
    warmup: true,
    async run(target, { options, seconds }) {
      const endpoints = (shared ??= new TlsEndpoints({ distDir: options.distDir, profileDir: options.profileDir }, options.quick ? 0.3 : 0.6));
      const { port, pid } = await endpoints.get(kind, target);
      const result = await closedLoop({ port, connections, pipeline: 1, seconds, wire: wires[protocol], meter: () => cpuMicros(pid), open: await endpoints.opener() });
      if (result.errors > 0) throw new Error(`tls/${kind}-${name} ${target}: ${result.errors} connection errors`);
      const sorted = result.latenciesUs.sort();
      return { rate: result.requests / result.seconds, cpu: result.metered / result.requests, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    },
    rows,
  };
}

export function tlsScenarios(): Scenario[] {
  return (['https', 'rediss'] as const).flatMap((kind) => [
    tlsRate(kind, 'rr-1', 1, [
      { metric: 'rate', label: 'over TLS both sides, 1 conn', unit: 'req/s', higherIsBetter: true, checks: VERSUS_PIPE },
      { metric: 'p50', label: 'over TLS, latency p50, 1 conn', unit: 'µs', higherIsBetter: false },
      cpuRow('over TLS, CPU per req, 1 conn'),
    ]),
    tlsRate(kind, 'rr-50', 50, [
      { metric: 'rate', label: 'over TLS both sides, 50 conns', unit: 'req/s', higherIsBetter: true, checks: VERSUS_PIPE },
      { metric: 'p99', label: 'over TLS, latency p99, 50 conns', unit: 'µs', higherIsBetter: false },
      cpuRow('over TLS, CPU per req, 50 conns'),
    ]),
  ]);
}
