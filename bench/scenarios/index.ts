// Every scenario of a run, in run order: tcp bulk, each protocol's request/response ones
// (postgres's, then TLS's, after the others), chaos (the fault log's cost among them), the idle
// dashboard, and last those that open thousands of connections (churn, idle memory,
// concurrent), whose leftovers (TIME_WAIT sockets, grown heaps) would slow the rest.
import type { Scenario } from '../harness/scenario.js';
import type { ProtocolName } from '../harness/wire.js';
import { bulkScenarios } from './bulk.js';
import { chaosDelayScenario, chaosErrorScenario } from './chaos.js';
import { churnScenario } from './churn.js';
import { concurrentScenario } from './concurrent.js';
import { dashboardIdleScenario, faultLogScenario } from './faults.js';
import { idleMemoryScenario } from './idle-memory.js';
import { postgresScenarios } from './postgres.js';
import { requestRateScenarios } from './request-rate.js';
import { serverScenarios } from './server.js';
import { tlsScenarios } from './tls.js';

/** Protocols with the whole set of scenarios (request rates, churn, idle memory); postgres has its own rows. */
export const PROTOCOLS: readonly ProtocolName[] = ['tcp', 'http', 'redis', 'memcache'];

export function allScenarios(quick: boolean, connectionCap: number): Scenario[] {
  return [
    ...bulkScenarios,
    ...PROTOCOLS.flatMap((protocol) => requestRateScenarios(protocol)),
    ...postgresScenarios(),
    ...tlsScenarios(),
    chaosDelayScenario('tcp'),
    chaosDelayScenario('redis'),
    chaosErrorScenario,
    faultLogScenario,
    dashboardIdleScenario(quick),
    ...PROTOCOLS.map((protocol) => churnScenario(protocol)),
    // Quick mode measures memory for tcp only (each protocol costs ~20 s of opening
    // connections), and leaves out the concurrent scenario: tcp/idle-memory has just opened
    // 10 000 connections through each proxy, each answering, all held open together.
    ...PROTOCOLS.filter((protocol) => !quick || protocol === 'tcp').map((protocol) => idleMemoryScenario(protocol, quick, connectionCap)),
    ...(quick ? [] : [concurrentScenario(connectionCap)]),
    // `vaurien server` against vaurien --protocol tcp and the real Toxiproxy (TOXIPROXY_BIN).
    ...serverScenarios(quick),
  ];
}
