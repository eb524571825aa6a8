// `vaurien server` with no toxic against `vaurien --protocol tcp` and against the real Toxiproxy
// (no toxic, and a 0 ms latency toxic): request rate, CPU, bulk, churn, memory per connection.
// The Toxiproxy columns run when TOXIPROXY_BIN names a toxiproxy-server (shared/peers builds it).
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bulk } from '../load/bulk.js';
import { churn } from '../load/churn.js';
import { closedLoop } from '../load/closed-loop.js';
import { closeAll, openMany } from '../load/open-many.js';
import { cpuMicros, rssKiB } from '../harness/processes.js';
import type { Check, Metrics, RowSpec, RunContext, Scenario, TargetName } from '../harness/scenario.js';
import { wires } from '../harness/wire.js';

const withToxiproxy = (process.env['TOXIPROXY_BIN'] ?? '') !== '';
const TARGETS: readonly TargetName[] = ['vaurien', 'vaurien-server', ...(withToxiproxy ? (['toxiproxy', 'toxiproxy-latency0'] as const) : [])];

/** No slower than vaurien --protocol tcp (within 5 %: the noise of one run), ahead of Toxiproxy either way. */
const CHECKS: readonly Check[] = [
  { kind: 'ratio', target: 'vaurien-server', base: 'vaurien', min: 0.95 },
  ...(withToxiproxy
    ? ([
        { kind: 'ratio', target: 'vaurien-server', base: 'toxiproxy', min: 1 },
        { kind: 'ratio', target: 'vaurien-server', base: 'toxiproxy-latency0', min: 1 },
      ] as const)
    : []),
];

function scenario(name: string, run: (target: TargetName, context: RunContext) => Promise<Metrics>, rows: readonly RowSpec[], extra: Partial<Scenario> = {}): Scenario {
  return { id: `server/${name}`, protocol: 'tcp', targets: TARGETS, warmup: true, run, rows, ...extra };
}

const SMALL = 1000;

export function serverScenarios(quick: boolean): Scenario[] {
  const large = quick ? 0 : 4000;
  return [
    scenario(
      'rr-50',
      async (target, { endpoints, seconds }) => {
        const { port, pid } = await endpoints.get('tcp', target);
        const result = await closedLoop({ port, connections: 50, pipeline: 1, seconds, wire: wires.tcp, meter: () => cpuMicros(pid) });
        if (result.errors > 0) throw new Error(`server/rr-50 ${target}: ${result.errors} connection errors`);
        return { rate: result.requests / result.seconds, cpu: result.metered / result.requests };
      },
      [
        { metric: 'rate', label: 'req/resp, 50 conns', unit: 'req/s', higherIsBetter: true, checks: CHECKS },
        { metric: 'cpu', label: 'CPU per req, 50 conns', unit: 'µs cpu', higherIsBetter: false, compareAs: 'absolute', checks: CHECKS },
      ],
    ),
    scenario(
      'bulk-1',
      async (target, { endpoints, seconds }) => {
        const { port, pid } = await endpoints.get('tcp', target);
        const result = await bulk(port, 1, Math.max(seconds, 0.4), () => cpuMicros(pid));
        return { rate: result.megabytes / result.seconds, cpu: result.metered / result.megabytes };
      },
      [
        { metric: 'rate', label: 'bulk, 1 stream', unit: 'MB/s', higherIsBetter: true, checks: CHECKS },
        { metric: 'cpu', label: 'CPU per MB, 1 stream', unit: 'µs cpu', higherIsBetter: false, compareAs: 'absolute', checks: CHECKS },
      ],
    ),
    scenario(
      'churn',
      async (target, { endpoints, seconds }) => {
        const { port, pid } = await endpoints.get('tcp', target);
        const result = await churn(port, 16, seconds, wires.tcp, () => cpuMicros(pid));
        if (result.errors > 0) throw new Error(`server/churn ${target}: ${result.errors} failed connections`);
        return { rate: result.connections / result.seconds, cpu: result.metered / result.connections };
      },
      [
        { metric: 'rate', label: 'churn, 16 at a time', unit: 'conn/s', higherIsBetter: true, checks: CHECKS },
        { metric: 'cpu', label: 'CPU per conn, churn', unit: 'µs cpu', higherIsBetter: false, compareAs: 'absolute', checks: CHECKS },
      ],
    ),
    scenario(
      'idle-memory',
      async (target, { endpoints }) => {
        const child = await endpoints.fresh('tcp', target);
        const opened: Socket[] = [];
        try {
          await sleep(500);
          const before = rssKiB(child.pid);
          const first = await openMany(child.port, SMALL, wires.tcp);
          opened.push(...first.sockets);
          await sleep(500);
          const atSmall = rssKiB(child.pid);
          let atLarge = atSmall;
          let failed = first.failed;
          if (large > SMALL) {
            const second = await openMany(child.port, large - SMALL, wires.tcp);
            opened.push(...second.sockets);
            failed += second.failed;
            await sleep(500);
            atLarge = rssKiB(child.pid);
          }
          if (failed > 0) throw new Error(`server/idle-memory ${target}: ${failed} connections failed`);
          return { small: (atSmall - before) / SMALL, ...(large > SMALL ? { large: (atLarge - before) / large } : {}) };
        } finally {
          await closeAll(opened);
          await child.stop();
        }
      },
      [
        { metric: 'small', label: `memory per idle conn, ${SMALL}`, unit: 'KiB', higherIsBetter: false, compareAs: 'absolute', checks: CHECKS },
        ...(large > SMALL ? [{ metric: 'large', label: `memory per idle conn, ${large}`, unit: 'KiB', higherIsBetter: false, compareAs: 'absolute' as const, checks: CHECKS }] : []),
      ],
      { warmup: false, maxReps: quick ? 1 : 2 },
    ),
  ];
}
