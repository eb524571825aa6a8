// Bulk throughput through an echo backend, 1 and 8 streams. Target: ≥ 1.1× the pipe proxy.
import { bulk } from '../load/bulk.js';
import { cpuMicros } from '../harness/processes.js';
import type { Scenario } from '../harness/scenario.js';

function bulkScenario(streams: number): Scenario {
  return {
    id: `tcp/bulk-${streams}`,
    protocol: 'tcp',
    targets: ['direct', 'pipe', 'vaurien'],
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port, pid } = await endpoints.get('tcp', target);
      // At least 0.4 s: a stream takes a few ms to reach full speed.
      const result = await bulk(port, streams, Math.max(seconds, 0.4), () => cpuMicros(pid));
      return { rate: result.megabytes / result.seconds, cpu: result.metered / result.megabytes };
    },
    rows: [
      {
        metric: 'rate',
        label: `bulk, ${streams} stream${streams === 1 ? '' : 's'}`,
        unit: 'MB/s',
        higherIsBetter: true,
        checks: [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1.1 }],
      },
      { metric: 'cpu', label: `CPU per MB, ${streams} stream${streams === 1 ? '' : 's'}`, unit: 'µs cpu', higherIsBetter: false, compareAs: 'absolute' },
    ],
  };
}

export const bulkScenarios: readonly Scenario[] = [bulkScenario(1), bulkScenario(8)];
