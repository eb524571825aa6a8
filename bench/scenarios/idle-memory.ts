// Memory per idle connection: a fresh proxy process (pipe or vaurien), warmed up, then 1 000
// and 10 000 (fewer when the fd limit is low) connections opened through it, each answering one request and then idle; the
// growth of the process's RSS divided by the connections. tcp target: ≤ 12 KiB and no more
// than the pipe proxy.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAll, openMany } from '../load/open-many.js';
import { rssKiB } from '../harness/processes.js';
import type { Check, Scenario } from '../harness/scenario.js';
import { wires, type ProtocolName } from '../harness/wire.js';
import { withToxiproxy } from '../harness/endpoints.js';
import { versusToxiproxy } from './bulk.js';

const SMALL = 1000;
const LARGE = 10_000;
/** Time for the proxy to finish its own work (backend connects, allocations) before RSS is read. */
const SETTLE_MS = 500;

export function idleMemoryScenario(protocol: ProtocolName, quick: boolean, connectionCap: number): Scenario {
  const large = Math.min(LARGE, connectionCap);
  const checks = (): Check[] => [
    ...(protocol === 'tcp'
      ? [
          { kind: 'atMost', target: 'vaurien', max: 12 } as const,
          { kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1 } as const,
        ]
      : []),
    ...versusToxiproxy(1),
  ];
  return {
    id: `${protocol}/idle-memory`,
    protocol,
    targets: withToxiproxy(['pipe', 'vaurien'] as const),
    warmup: false,
    // The figures barely move between repetitions; tcp, which has targets, gets two.
    maxReps: quick || protocol !== 'tcp' ? 1 : 2,
    async run(target, { endpoints }) {
      const wire = wires[protocol];
      const child = await endpoints.fresh(protocol, target);
      const opened: Socket[] = [];
      try {
        await sleep(SETTLE_MS); // fresh() has warmed it up
        const before = rssKiB(child.pid);
        const first = await openMany(child.port, SMALL, wire);
        opened.push(...first.sockets);
        await sleep(SETTLE_MS);
        const atSmall = rssKiB(child.pid);
        const second = await openMany(child.port, large - SMALL, wire);
        opened.push(...second.sockets);
        await sleep(SETTLE_MS);
        const atLarge = rssKiB(child.pid);
        const failed = first.failed + second.failed;
        if (failed > 0) throw new Error(`${protocol}/idle-memory ${target}: ${failed} of ${large} connections failed (${first.firstError ?? second.firstError})`);
        return { small: (atSmall - before) / SMALL, large: (atLarge - before) / large, rssMiB: atLarge / 1024 };
      } finally {
        await closeAll(opened);
        await child.stop();
      }
    },
    rows: [
      { metric: 'small', label: `memory per idle conn, ${SMALL}`, unit: 'KiB', higherIsBetter: false, checks: checks(), compareAs: 'absolute' },
      { metric: 'large', label: `memory per idle conn, ${large}`, unit: 'KiB', higherIsBetter: false, checks: checks(), compareAs: 'absolute' },
    ],
  };
}
