// Proxies in turn, round after round: each started once in front of one backend (as the bench
// starts them), then 50 connections through each for a few seconds, in turn, for several rounds;
// per round and median rate and CPU per request. Where a full run's row moves by ±10 % from
// one run to the next, many short alternations say more about which proxy leads.
//   node --import tsx bench/in-turn.ts redis|memcache|tcp|http [--depth N] [--rounds N] [--seconds S]
//     [--connections N] [--churn] [--old DIR]...
// --connections N: N connections instead of 50 (not with --churn).
// --churn: the bench's churn (a new connection per request), figures per connection.
// --old DIR: another build (the `dist` of another checkout, or a copy with one piece taken out)
// takes its turn as `vaurien@NAME`, NAME being DIR's last folder; give --old again for more builds.
// With TOXIPROXY_BIN set, the real Toxiproxy takes its turn too.
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Endpoints, TOXIPROXY_ON } from './harness/endpoints.js';
import { cpuMicros, stopAll } from './harness/processes.js';
import type { TargetName } from './harness/scenario.js';
import { median } from './harness/stats.js';
import { wires, type ProtocolName } from './harness/wire.js';
import { churn } from './load/churn.js';
import { closedLoop } from './load/closed-loop.js';
import { CHURN_CONCURRENCY } from './scenarios/churn.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { depth: { type: 'string', default: '1' }, connections: { type: 'string', default: '50' }, rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '2.5' }, churn: { type: 'boolean', default: false }, old: { type: 'string', multiple: true } },
});
const protocol = (positionals[0] ?? 'redis') as ProtocolName;
const depth = Number(values.depth);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

interface Turn {
  readonly label: string;
  readonly endpoints: Endpoints;
  readonly target: TargetName;
  readonly rates: number[];
  readonly cpus: number[];
}

const framed = protocol !== 'tcp';
const paired = protocol === 'redis' || protocol === 'memcache';
const current = new Endpoints({ distDir: 'dist' }, 4096, 0.6);
const builds = (values.old ?? []).map((dir) => ({ name: basename(resolve(dir)), endpoints: new Endpoints({ distDir: dir }, 4096, 0.6) }));
const turn = (label: string, endpoints: Endpoints, target: TargetName): Turn => ({ label, endpoints, target, rates: [], cpus: [] });
const turns: Turn[] = [
  turn('vaurien', current, 'vaurien'),
  ...builds.map(({ name, endpoints }) => turn(`vaurien@${name}`, endpoints, 'vaurien')),
  ...(framed ? [turn('vaurien-tcp', current, 'vaurien-tcp')] : []),
  turn('pipe', current, 'pipe'),
  ...(paired && !values.churn ? [turn('pair', current, 'pair')] : []),
  ...(TOXIPROXY_ON ? [turn('toxiproxy', current, 'toxiproxy')] : []),
];

/** One turn's rate (per second) and CPU (µs) per request, or per connection under churn. */
async function measure(port: number, pid: number, span = seconds): Promise<{ rate: number; cpu: number }> {
  if (values.churn) {
    const result = await churn(port, CHURN_CONCURRENCY, span, wires[protocol], () => cpuMicros(pid));
    return { rate: result.connections / result.seconds, cpu: result.metered / result.connections };
  }
  const result = await closedLoop({ port, connections, pipeline: depth, seconds: span, wire: wires[protocol], meter: () => cpuMicros(pid) });
  return { rate: result.requests / result.seconds, cpu: result.metered / result.requests };
}

const unit = values.churn ? 'connection' : 'request';
process.stdout.write(values.churn ? `${protocol}, churn ${CHURN_CONCURRENCY} at a time, ${rounds} rounds of ${seconds} s per proxy\n` : `${protocol}, ${connections} connections, ${depth} in flight each, ${rounds} rounds of ${seconds} s per proxy\n`);
// A short turn each first, not counted: a fresh process's first connections pay its JIT.
for (const each of turns) {
  const { port, pid } = await each.endpoints.get(protocol, each.target);
  await measure(port, pid, Math.min(seconds, 0.5));
}
for (let round = 1; round <= rounds; round++) {
  const line: string[] = [];
  // Every other round in reverse: no proxy always follows the same one.
  for (const each of round % 2 === 0 ? [...turns].reverse() : turns) {
    const { port, pid } = await each.endpoints.get(protocol, each.target);
    const { rate, cpu } = await measure(port, pid);
    each.rates.push(rate);
    each.cpus.push(cpu);
    line.push(`${each.label} ${Math.round(rate)}/s ${cpu.toFixed(2)} µs`);
  }
  process.stdout.write(`round ${round}: ${line.join(', ')}\n`);
}

const vaurien = turns[0] as Turn;
const width = Math.max(...turns.map(({ label }) => label.length)) + 1;
const perRound = (mine: number[], theirs: number[]): string => median(mine.map((value, at) => value / (theirs[at] as number))).toFixed(3);
process.stdout.write(`\nmedians (rate, CPU per ${unit}); vaurien/x: medians of the per-round ratios of rates, and of CPU\n`);
for (const each of turns) {
  const ratio = each === vaurien ? '' : `  vaurien/x ${perRound(vaurien.rates, each.rates)}×, CPU ${perRound(vaurien.cpus, each.cpus)}×`;
  process.stdout.write(`${each.label.padEnd(width)} ${Math.round(median(each.rates)).toString().padStart(8)}/s  ${median(each.cpus).toFixed(2)} µs${ratio}\n`);
}
await stopAll();
