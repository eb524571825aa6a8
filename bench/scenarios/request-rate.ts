// Small requests, closed loop: 1 connection (with its latency percentiles), 50 connections,
// and 50 connections pipelining 16 requests per batch. For a framing protocol vaurien runs
// twice: with that protocol's framing and as plain tcp in front of the same backend, so the
// row shows what framing costs (the target: ≥ 0.9× the tcp figure).
import { closedLoop } from '../load/closed-loop.js';
import type { Check, RowSpec, Scenario, TargetName } from '../harness/scenario.js';
import { cpuMicros } from '../harness/processes.js';
import { percentile } from '../harness/stats.js';
import { wires, type ProtocolName } from '../harness/wire.js';
import { withToxiproxy } from '../harness/endpoints.js';
import { nodeVersusToxiproxy, versusToxiproxy } from './bulk.js';

/** With `paired` (redis and memcache, 50 connections), also the plainest Node proxy that pairs answers with commands. */
function targetsOf(protocol: ProtocolName, paired: boolean): TargetName[] {
  const own: TargetName[] = protocol === 'tcp' ? ['direct', 'pipe', 'vaurien'] : ['direct', 'pipe', 'vaurien-tcp', 'vaurien'];
  return withToxiproxy(paired ? [...own, 'pair'] : own);
}

/**
 * Redis and memcache at 50 connections: how the pairing proxy (the least a protocol-aware proxy
 * does, in plain Node) compares with Toxiproxy, and vaurien with it (issue #19's evidence).
 */
function pairingReferences(paired: boolean): Check[] {
  return paired ? [...nodeVersusToxiproxy('pair'), { kind: 'reference', target: 'vaurien', base: 'pair' }] : [];
}

/** The protocols the bench has a pairing proxy for. */
function pairs(protocol: ProtocolName): boolean {
  return protocol === 'redis' || protocol === 'memcache';
}

/**
 * tcp: at least the pipe proxy (`min` times it); framing: ≥ 0.9× vaurien as plain tcp. With
 * TOXIPROXY_BIN, every protocol (framing on) at least the real Toxiproxy (issue #19).
 */
function rateChecks(protocol: ProtocolName, min: number): Check[] {
  const own: Check[] = protocol === 'tcp' ? [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min }] : [{ kind: 'ratio', target: 'vaurien', base: 'vaurien-tcp', min: 0.9 }];
  return [...own, ...versusToxiproxy(1)];
}

function requestRate(protocol: ProtocolName, name: string, connections: number, pipeline: number, rows: RowSpec[]): Scenario {
  return {
    id: `${protocol}/${name}`,
    protocol,
    targets: targetsOf(protocol, pairs(protocol) && connections > 1),
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port, pid } = await endpoints.get(protocol, target);
      const result = await closedLoop({ port, connections, pipeline, seconds, wire: wires[protocol], meter: () => cpuMicros(pid) });
      if (result.errors > 0) throw new Error(`${protocol}/${name} ${target}: ${result.errors} connection errors`);
      const rate = result.requests / result.seconds;
      const cpu = result.metered / result.requests;
      if (pipeline > 1) return { rate, cpu };
      const sorted = result.latenciesUs.sort();
      return { rate, cpu, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999) };
    },
    rows,
  };
}

/** CPU time the process behind the target (proxy, or backend for direct) spent per request. */
export function cpuRow(label: string): RowSpec {
  return { metric: 'cpu', label, unit: 'µs cpu', higherIsBetter: false, compareAs: 'pipe' };
}

export function requestRateScenarios(protocol: ProtocolName): Scenario[] {
  const tcp = protocol === 'tcp';
  const latency = (metric: string, label: string, checks: Check[]): RowSpec => ({ metric, label, unit: 'µs', higherIsBetter: false, checks });
  const versusPipe: Check[] = tcp ? [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1 }] : [];
  const paired = pairingReferences(pairs(protocol));
  return [
    requestRate(protocol, 'rr-1', 1, 1, [
      { metric: 'rate', label: 'req/resp, 1 conn', unit: 'req/s', higherIsBetter: true, checks: rateChecks(protocol, 1) },
      latency('p50', 'latency p50, 1 conn', tcp ? [{ kind: 'added', target: 'vaurien', base: 'direct', max: 35 }, ...versusPipe] : [{ kind: 'ratio', target: 'vaurien', base: 'vaurien-tcp', min: 0.9 }]),
      latency('p99', 'latency p99, 1 conn', versusPipe),
      latency('p999', 'latency p99.9, 1 conn', versusPipe),
    ]),
    requestRate(protocol, 'rr-50', 50, 1, [
      { metric: 'rate', label: 'req/resp, 50 conns', unit: 'req/s', higherIsBetter: true, checks: [...rateChecks(protocol, 1.1), ...paired] },
      latency('p99', 'latency p99, 50 conns', versusPipe),
      { ...cpuRow('CPU per req, 50 conns'), checks: [...versusToxiproxy(1), ...paired] },
    ]),
    requestRate(protocol, 'pipelined', 50, 16, [
      { metric: 'rate', label: 'pipelined -P 16, 50 conns', unit: 'req/s', higherIsBetter: true, checks: [...rateChecks(protocol, 1), ...paired] },
      { ...cpuRow('CPU per req, pipelined'), checks: [...versusToxiproxy(1), ...paired] },
    ]),
  ];
}
