// `npm run bench`: each scenario runs against the backend directly, through a bare Node pipe
// proxy and through vaurien (dummy), interleaved, several repetitions; medians and ratios are
// printed as a table and written as JSON. Options: --quick, --reps N, --json FILE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startBackends, startPipeProxy, startVaurien } from './harness/processes.js';
import { median } from './harness/stats.js';
import { httpKeepAlive } from './scenarios/http-keep-alive.js';
import { tcpBulk } from './scenarios/tcp-bulk.js';
import { tcpPingPong } from './scenarios/tcp-ping-pong.js';

interface Scenario {
  readonly name: string;
  readonly unit: string;
  /** true: bigger is better (throughput); false: smaller is better (latency). */
  readonly higherIsBetter: boolean;
  readonly targets: Readonly<Record<string, number>>;
  run(port: number): Promise<number>;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const reps = Number(args[args.indexOf('--reps') + 1]) || (quick ? 3 : 5);
const jsonPath = args.includes('--json') ? (args[args.indexOf('--json') + 1] as string) : 'bench/results/latest.json';

const { echoPort, httpPort } = await startBackends();
const pipeEcho = await startPipeProxy(echoPort);
const pipeHttp = await startPipeProxy(httpPort);
const vaurienEcho = await startVaurien(echoPort);
const vaurienHttpTcp = await startVaurien(httpPort);
const vaurienHttp = await startVaurien(httpPort, ['--protocol', 'http']);

const bulkMegabytes = quick ? 64 : 256;
const seconds = quick ? 1 : 2;
const scenarios: Scenario[] = [
  {
    name: 'tcp bulk, 1 stream',
    unit: 'MB/s',
    higherIsBetter: true,
    targets: { direct: echoPort, 'pipe proxy': pipeEcho, 'vaurien tcp': vaurienEcho },
    run: (port) => tcpBulk(port, bulkMegabytes),
  },
  {
    name: 'tcp ping-pong p50',
    unit: 'µs',
    higherIsBetter: false,
    targets: { direct: echoPort, 'pipe proxy': pipeEcho, 'vaurien tcp': vaurienEcho },
    run: async (port) => (await tcpPingPong(port, quick ? 2000 : 5000)).p50,
  },
  {
    name: 'http keep-alive, 10 conns',
    unit: 'req/s',
    higherIsBetter: true,
    targets: { direct: httpPort, 'pipe proxy': pipeHttp, 'vaurien tcp': vaurienHttpTcp, 'vaurien http': vaurienHttp },
    run: (port) => httpKeepAlive(port, 10, seconds),
  },
];

const results: Array<{ scenario: string; unit: string; target: string; samples: number[]; median: number }> = [];
for (const scenario of scenarios) {
  const samples = new Map<string, number[]>(Object.keys(scenario.targets).map((target) => [target, []]));
  await scenario.run(scenario.targets['direct'] as number); // warm-up
  for (let rep = 0; rep < reps; rep++) {
    for (const [target, port] of Object.entries(scenario.targets)) samples.get(target)?.push(await scenario.run(port));
  }
  for (const [target, values] of samples) results.push({ scenario: scenario.name, unit: scenario.unit, target, samples: values, median: median(values) });
  process.stderr.write(`. ${scenario.name}\n`);
}

const rows: string[][] = [['scenario', 'target', 'median', 'unit', 'vs direct', 'vs pipe proxy']];
for (const scenario of scenarios) {
  const of = (target: string): number => results.find((result) => result.scenario === scenario.name && result.target === target)?.median ?? NaN;
  for (const target of Object.keys(scenario.targets)) {
    const value = of(target);
    const ratio = (base: number): string => (target === 'direct' ? '' : (scenario.higherIsBetter ? value / base : base / value).toFixed(2));
    rows.push([scenario.name, target, value >= 100 ? value.toFixed(0) : value.toFixed(1), scenario.unit, ratio(of('direct')), target.startsWith('vaurien') ? ratio(of('pipe proxy')) : '']);
  }
}
const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)));
process.stdout.write(`\nvaurien bench (${reps} interleaved repetitions, medians; ratios > 1 are better than the baseline)\n\n`);
for (const row of rows) process.stdout.write(`${row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join('  ')}\n`);
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, reps, results }, null, 2)}\n`);
process.stdout.write(`\nwritten to ${jsonPath}\n`);
process.exit(0);
