// Chaos rows, 50 connections. `10:delay` (sleep 0.1): the 90 % of exchanges not delayed keep
// ≥ 0.9× dummy's request rate, measured as connections / mean latency of the undelayed
// requests (a delayed request takes ≥ 100 ms; the cut is at 50 ms). `100:error` on redis: the
// proxy answers its -ERR at least as fast as dummy answers from the backend.
import { closedLoop } from '../load/closed-loop.js';
import type { Scenario } from '../harness/scenario.js';
import { mean } from '../harness/stats.js';
import { wires, type ProtocolName } from '../harness/wire.js';

const CONNECTIONS = 50;
const DELAYED_US = 50_000;

export function chaosDelayScenario(protocol: ProtocolName): Scenario {
  return {
    id: `${protocol}/chaos-delay`,
    protocol,
    targets: ['vaurien', 'vaurien-delay'],
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port } = await endpoints.get(protocol, target);
      const result = await closedLoop({ port, connections: CONNECTIONS, pipeline: 1, seconds: seconds * 2, wire: wires[protocol] });
      const undelayed = result.latenciesUs.filter((latency) => latency < DELAYED_US);
      return {
        rate: CONNECTIONS / (mean(undelayed) / 1e6),
        delayed: (100 * (result.latenciesUs.length - undelayed.length)) / result.latenciesUs.length,
      };
    },
    rows: [
      {
        metric: 'rate',
        label: '10:delay, undelayed 90 %',
        unit: 'req/s',
        higherIsBetter: true,
        checks: [{ kind: 'ratio', target: 'vaurien-delay', base: 'vaurien', min: 0.9 }],
      },
      { metric: 'delayed', label: '10:delay, share delayed', unit: '%', higherIsBetter: false },
    ],
  };
}

export const chaosErrorScenario: Scenario = {
  id: 'redis/chaos-error',
  protocol: 'redis',
  targets: ['vaurien', 'vaurien-error'],
  warmup: true,
  async run(target, { endpoints, seconds }) {
    const { port } = await endpoints.get('redis', target);
    const result = await closedLoop({ port, connections: CONNECTIONS, pipeline: 1, seconds, wire: wires.redis });
    return { rate: result.requests / result.seconds };
  },
  rows: [
    {
      metric: 'rate',
      label: '100:error, 50 conns',
      unit: 'req/s',
      higherIsBetter: true,
      checks: [{ kind: 'ratio', target: 'vaurien-error', base: 'vaurien', min: 1 }],
    },
  ],
};
