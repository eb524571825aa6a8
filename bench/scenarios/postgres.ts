// PostgreSQL rows (issue #16): vaurien `--protocol postgres` against vaurien `--protocol tcp` in
// front of the same server (the target: ≥ 0.9× the tcp figure), with direct and the pipe proxy
// for scale. Simple queries at 1 and 50 connections, extended-protocol queries pipelined 16 deep
// on 50 connections (16 Syncs in flight each), and `pgbench -S -M prepared` (10 clients), a real
// client. CPU rows read the proxies only: the server forks a process per connection, so the
// postmaster's CPU time says nothing of the backend's.
import { spawn } from 'node:child_process';
import { findBinary } from '../../test/helpers/backends.js';
import { SkipProtocol } from '../harness/endpoints.js';
import { cpuMicros } from '../harness/processes.js';
import type { Check, RowSpec, Scenario, TargetName } from '../harness/scenario.js';
import { percentile } from '../harness/stats.js';
import { postgresExtendedWire, wires, type Wire } from '../harness/wire.js';
import { closedLoop } from '../load/closed-loop.js';
import { cpuRow } from './request-rate.js';

const TARGETS: readonly TargetName[] = ['direct', 'pipe', 'vaurien-tcp', 'vaurien'];
const VERSUS_TCP: Check[] = [{ kind: 'ratio', target: 'vaurien', base: 'vaurien-tcp', min: 0.9 }];
const PGBENCH_CLIENTS = 10;

function queryRate(name: string, connections: number, pipeline: number, wire: Wire, rows: RowSpec[]): Scenario {
  return {
    id: `postgres/${name}`,
    protocol: 'postgres',
    targets: TARGETS,
    warmup: true,
    async run(target, { endpoints, seconds }) {
      const { port, pid } = await endpoints.get('postgres', target);
      const meter = target === 'direct' ? undefined : () => cpuMicros(pid);
      const result = await closedLoop({ port, connections, pipeline, seconds, wire, ...(meter === undefined ? {} : { meter }) });
      if (result.errors > 0) throw new Error(`postgres/${name} ${target}: ${result.errors} connection errors`);
      const rate = result.requests / result.seconds;
      const cpu = meter === undefined ? {} : { cpu: result.metered / result.requests };
      if (pipeline > 1) return { rate, ...cpu };
      const sorted = result.latenciesUs.sort();
      return { rate, ...cpu, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    },
    rows,
  };
}

/** Runs pgbench for `seconds` against `port`; its tps (without connection time). */
function pgbench(binary: string, port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-h', '127.0.0.1', '-p', String(port), '-U', 'trusted', ...args, 'chaos'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGGSSENCMODE: 'disable', PGSSLMODE: 'disable' } });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`pgbench ${args.join(' ')} exited ${code}: ${output.slice(-500)}`))));
  });
}

function pgbenchScenario(): Scenario {
  let initialised: Promise<string> | undefined;
  return {
    id: 'postgres/pgbench-S',
    protocol: 'postgres',
    targets: ['direct', 'vaurien-tcp', 'vaurien'],
    // Each run is a pgbench process of its own; the endpoints are warm already.
    warmup: false,
    async run(target, { endpoints, seconds }) {
      const binary = findBinary('pgbench');
      if (binary === undefined) throw new SkipProtocol('pgbench not found (apt-get install postgresql)');
      const backend = await endpoints.backend('postgres');
      initialised ??= pgbench(binary, backend.port, ['-i', '-s', '1', '-q']);
      await initialised;
      const { port, pid } = await endpoints.get('postgres', target);
      const cpuBefore = target === 'direct' ? 0 : cpuMicros(pid);
      // pgbench counts whole seconds: the measurement is at least one.
      const duration = Math.max(1, Math.round(seconds * 3));
      const output = await pgbench(binary, port, ['-n', '-S', '-M', 'prepared', '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(duration)]);
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
      const processed = /number of transactions actually processed: (\d+)/.exec(output);
      if (tps === null || processed === null) throw new Error(`pgbench said: ${output.slice(-500)}`);
      if (/number of failed transactions: [1-9]/.test(output)) throw new Error(`pgbench failed transactions: ${output.slice(-500)}`);
      const rate = Number(tps[1]);
      return target === 'direct' ? { rate } : { rate, cpu: (cpuMicros(pid) - cpuBefore) / Number(processed[1]) };
    },
    rows: [
      { metric: 'rate', label: `pgbench -S -M prepared, ${PGBENCH_CLIENTS} clients`, unit: 'tps', higherIsBetter: true, checks: VERSUS_TCP },
      cpuRow('CPU per transaction, pgbench'),
    ],
  };
}

export function postgresScenarios(): Scenario[] {
  const latency = (metric: string, label: string, checks: Check[] = []): RowSpec => ({ metric, label, unit: 'µs', higherIsBetter: false, checks });
  return [
    queryRate('rr-1', 1, 1, wires.postgres, [
      { metric: 'rate', label: 'simple query, 1 conn', unit: 'req/s', higherIsBetter: true, checks: VERSUS_TCP },
      latency('p50', 'latency p50, 1 conn', VERSUS_TCP),
      latency('p99', 'latency p99, 1 conn'),
    ]),
    queryRate('rr-50', 50, 1, wires.postgres, [
      { metric: 'rate', label: 'simple query, 50 conns', unit: 'req/s', higherIsBetter: true, checks: VERSUS_TCP },
      latency('p99', 'latency p99, 50 conns'),
      cpuRow('CPU per query, 50 conns'),
    ]),
    queryRate('pipelined-extended', 50, 16, postgresExtendedWire, [
      { metric: 'rate', label: 'extended, 16 Syncs in flight, 50 conns', unit: 'req/s', higherIsBetter: true, checks: VERSUS_TCP },
      cpuRow('CPU per query, pipelined extended'),
    ]),
    pgbenchScenario(),
  ];
}
