// Proxies in turn, round after round: each started once in front of one backend (as the bench
// starts them), then 50 connections through each for a few seconds, in turn, for several rounds;
// per round and median rate and CPU per request. Where a full run's row moves by ±10 % from
// one run to the next, many short alternations say more about which proxy leads.
//   node --import tsx bench/in-turn.ts redis|memcache|tcp|http [--depth N] [--rounds N] [--seconds S]
// With TOXIPROXY_BIN set, the real Toxiproxy takes its turn too.
import { parseArgs } from 'node:util';
import { Endpoints, TOXIPROXY_ON } from './harness/endpoints.js';
import { cpuMicros, stopAll } from './harness/processes.js';
import type { TargetName } from './harness/scenario.js';
import { median } from './harness/stats.js';
import { wires, type ProtocolName } from './harness/wire.js';
import { closedLoop } from './load/closed-loop.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { depth: { type: 'string', default: '1' }, rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '2.5' } } });
const protocol = (positionals[0] ?? 'redis') as ProtocolName;
const depth = Number(values.depth);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const framed = protocol !== 'tcp';
const paired = protocol === 'redis' || protocol === 'memcache';
const targets: TargetName[] = ['vaurien', ...(framed ? (['vaurien-tcp'] as const) : []), 'pipe', ...(paired ? (['pair'] as const) : []), ...(TOXIPROXY_ON ? (['toxiproxy'] as const) : [])];
const endpoints = new Endpoints({ distDir: 'dist' }, 4096, 0.6);
const rates = new Map<TargetName, number[]>(targets.map((target) => [target, []]));
const cpus = new Map<TargetName, number[]>(targets.map((target) => [target, []]));

process.stdout.write(`${protocol}, 50 connections, ${depth} in flight each, ${rounds} rounds of ${seconds} s per proxy\n`);
for (let round = 1; round <= rounds; round++) {
  const line: string[] = [];
  for (const target of targets) {
    const { port, pid } = await endpoints.get(protocol, target);
    const result = await closedLoop({ port, connections: 50, pipeline: depth, seconds, wire: wires[protocol], meter: () => cpuMicros(pid) });
    const rate = result.requests / result.seconds;
    const cpu = result.metered / result.requests;
    rates.get(target)?.push(rate);
    cpus.get(target)?.push(cpu);
    line.push(`${target} ${Math.round(rate)}/s ${cpu.toFixed(2)} µs`);
  }
  process.stdout.write(`round ${round}: ${line.join(', ')}\n`);
}

const medianOf = median;
const vaurienRates = rates.get('vaurien') as number[];
process.stdout.write('\nmedians (rate, CPU per request); vaurien/x: median of the per-round ratios of rates\n');
for (const target of targets) {
  const own = rates.get(target) as number[];
  const ratio = target === 'vaurien' ? '' : `  vaurien/x ${medianOf(vaurienRates.map((rate, at) => rate / (own[at] as number))).toFixed(2)}×`;
  process.stdout.write(`${target.padEnd(12)} ${Math.round(medianOf(own)).toString().padStart(8)}/s  ${medianOf(cpus.get(target) as number[]).toFixed(2)} µs${ratio}\n`);
}
await stopAll();
