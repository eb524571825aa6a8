// Connection churn: a new connection per request, 16 at a time. Targets for tcp: ≥ 1.3× the bare
// pipe proxy (issue #5); with TOXIPROXY_BIN ≥ 1.25× the real Toxiproxy and CPU per connection
// under the pipe proxy's (#19). The framing protocols' rows: ahead of Toxiproxy.
import { churn } from '../load/churn.js';
import { cpuMicros } from '../harness/processes.js';
import type { Scenario } from '../harness/scenario.js';
import { wires, type ProtocolName } from '../harness/wire.js';
import { withToxiproxy } from '../harness/endpoints.js';
import { nodeVersusToxiproxy, versusToxiproxy } from './bulk.js';
import { cpuRow } from './request-rate.js';

/** Connections churned at a time (also `bench/in-turn.ts --churn`'s). */
export const CHURN_CONCURRENCY = 16;

export function churnScenario(protocol: ProtocolName): Scenario {
  return {
    id: `${protocol}/churn`,
    protocol,
    targets: withToxiproxy(['direct', 'pipe', 'vaurien'] as const),
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port, pid } = await endpoints.get(protocol, target);
      const result = await churn(port, CHURN_CONCURRENCY, seconds, wires[protocol], () => cpuMicros(pid));
      if (result.errors > 0) throw new Error(`${protocol}/churn ${target}: ${result.errors} failed connections`);
      return { rate: result.connections / result.seconds, cpu: result.metered / result.connections };
    },
    rows: [
      {
        metric: 'rate',
        label: `churn, ${CHURN_CONCURRENCY} at a time`,
        unit: 'conn/s',
        higherIsBetter: true,
        checks: protocol === 'tcp' ? [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1.3 }, ...versusToxiproxy(1.25), ...nodeVersusToxiproxy('pipe')] : versusToxiproxy(1),
      },
      {
        ...cpuRow('CPU per conn, churn'),
        checks: protocol === 'tcp' ? [{ kind: 'ratio', target: 'vaurien', base: 'pipe', min: 1 }, ...versusToxiproxy(1), ...nodeVersusToxiproxy('pipe')] : versusToxiproxy(1),
      },
    ],
  };
}
