// 15 000 concurrent tcp connections: all opened at once through the proxy, one message exchanged
// on each, then all held open together. Target: every one served.
// A proxy process holds two descriptors per connection, so where the open-file limit cannot be
// raised one process holds at most `connectionCap` of them: the pipe proxy is measured at that
// count, and vaurien with as many `--workers` as the count needs (each worker holds its share;
// the load generator and the backend hold one descriptor per connection, so they reach twice
// the cap).
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAll, openMany } from '../load/open-many.js';
import type { Scenario } from '../harness/scenario.js';
import { wires } from '../harness/wire.js';

export const CONCURRENT_CONNECTIONS = 15_000;

export function concurrentScenario(connectionCap: number): Scenario {
  const pipeCount = Math.min(CONCURRENT_CONNECTIONS, connectionCap);
  const vaurienCount = Math.min(CONCURRENT_CONNECTIONS, 2 * connectionCap);
  const workers = Math.ceil(vaurienCount / connectionCap);
  const label = workers > 1 ? `${vaurienCount} concurrent conns served (pipe: ${pipeCount}, one process)` : `${vaurienCount} concurrent conns served`;
  return {
    id: 'tcp/concurrent',
    protocol: 'tcp',
    targets: ['pipe', 'vaurien'],
    warmup: false,
    maxReps: 1,
    async run(target, { endpoints, note }) {
      const count = target === 'pipe' ? pipeCount : vaurienCount;
      const cluster = target === 'vaurien' && workers > 1 ? await endpoints.fresh('tcp', 'vaurien', ['--workers', String(workers)]) : undefined;
      if (cluster !== undefined) note(`tcp/concurrent: one process holds ${connectionCap} proxied connections here; vaurien ran with --workers ${workers} for ${vaurienCount}`);
      try {
        const { port } = cluster ?? (await endpoints.get('tcp', target));
        const opened = await openMany(port, count, wires.tcp);
        await closeAll(opened.sockets);
        await sleep(1000); // the proxy closes its backend sides before the next measurement
        return { served: opened.served, rate: opened.served / opened.seconds };
      } finally {
        await cluster?.stop();
      }
    },
    rows: [
      { metric: 'served', label, unit: 'conns', higherIsBetter: true, checks: [{ kind: 'atLeast', target: 'vaurien', min: vaurienCount }] },
      { metric: 'rate', label: `opening them`, unit: 'conn/s', higherIsBetter: true, compareAs: 'absolute' },
    ],
  };
}
