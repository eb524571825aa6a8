// Bulk throughput through an echo backend, 1 and 8 streams. Targets: ≥ 1.1× the pipe proxy
// (issue #5), and with TOXIPROXY_BIN ≥ 1.25× the real Toxiproxy and ≥ the pipe proxy (#19).
import { bulk } from '../load/bulk.js';
import { cpuMicros } from '../harness/processes.js';
import { minorFaults } from '../../test/helpers/process-stats.js';
import type { Check, Scenario } from '../harness/scenario.js';
import { TOXIPROXY_ON, withToxiproxy } from '../harness/endpoints.js';

function bulkScenario(streams: number): Scenario {
  return {
    id: `tcp/bulk-${streams}`,
    protocol: 'tcp',
    targets: withToxiproxy(['direct', 'pipe', 'vaurien'] as const),
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port, pid } = await endpoints.get('tcp', target);
      // At least 0.4 s: a stream takes a few ms to reach full speed.
      const faultsBefore = minorFaults(pid);
      const result = await bulk(port, streams, Math.max(seconds, 0.4), () => cpuMicros(pid));
      const faults = (minorFaults(pid) - faultsBefore) / result.megabytes;
      return { rate: result.megabytes / result.seconds, cpu: result.metered / result.megabytes, faults };
    },
    rows: [
      {
        metric: 'rate',
        label: `bulk, ${streams} stream${streams === 1 ? '' : 's'}`,
        unit: 'MB/s',
        higherIsBetter: true,
        checks: [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1.1 }, ...versusToxiproxy(1.25), ...nodeVersusToxiproxy('pipe')],
      },
      {
        metric: 'cpu',
        label: `CPU per MB, ${streams} stream${streams === 1 ? '' : 's'}`,
        unit: 'µs cpu',
        higherIsBetter: false,
        compareAs: 'pipe',
        checks: [...versusToxiproxy(1), ...nodeVersusToxiproxy('pipe')],
      },
      // Page faults cost kernel time: a heap trimmed and grown again shows here first.
      { metric: 'faults', label: `minor page faults per MB, ${streams} stream${streams === 1 ? '' : 's'}`, unit: 'faults', higherIsBetter: false, compareAs: 'absolute' },
    ],
  };
}

export const bulkScenarios: readonly Scenario[] = [bulkScenario(1), bulkScenario(8)];

/** vaurien at least `min` times as good as the real Toxiproxy, when it runs. */
export function versusToxiproxy(min: number): Check[] {
  return TOXIPROXY_ON ? [{ kind: 'ratio', target: 'vaurien', base: 'toxiproxy', min }] : [];
}

/**
 * The plainest Node code that does a row's work (the pipe proxy, or for redis the pairing proxy)
 * against the real Toxiproxy, when it runs: a reference, where a target is out of Node's reach.
 */
export function nodeVersusToxiproxy(node: 'pipe' | 'pair'): Check[] {
  return TOXIPROXY_ON ? [{ kind: 'reference', target: node, base: 'toxiproxy' }] : [];
}
