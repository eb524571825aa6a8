// 15 000 concurrent tcp connections (fewer when the fd limit could not be raised): all opened
// at once through the proxy, one message exchanged on each, then all held open together.
// Target: every one served, for vaurien as for the pipe proxy.
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAll, openMany } from '../load/open-many.js';
import type { Scenario } from '../harness/scenario.js';
import { wires } from '../harness/wire.js';

export const CONCURRENT_CONNECTIONS = 15_000;

export function concurrentScenario(connectionCap: number): Scenario {
  const count = Math.min(CONCURRENT_CONNECTIONS, connectionCap);
  return {
    id: 'tcp/concurrent',
    protocol: 'tcp',
    targets: ['pipe', 'vaurien'],
    warmup: false,
    maxReps: 1,
    async run(target, { endpoints }) {
      const { port } = await endpoints.get('tcp', target);
      const opened = await openMany(port, count, wires.tcp);
      await closeAll(opened.sockets);
      await sleep(1000); // the proxy closes its backend sides before the next measurement
      return { served: opened.served, rate: opened.served / opened.seconds };
    },
    rows: [
      { metric: 'served', label: `${count} concurrent conns served`, unit: 'conns', higherIsBetter: true, checks: [{ kind: 'atLeast', target: 'vaurien', min: count }] },
      { metric: 'rate', label: `opening ${count} conns`, unit: 'conn/s', higherIsBetter: true, compareAs: 'absolute' },
    ],
  };
}
