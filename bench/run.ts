// `npm run bench`: every scenario runs against the backend directly, through a bare Node pipe
// proxy and through vaurien (and, for chaos rows, vaurien with chaos), interleaved, several
// repetitions; medians, ratios and issue #5's targets are printed as a table and written as
// JSON. `--compare FILE` flags regressions against a saved run. Exit status 1 when a scenario
// failed or a figure regressed (a missed target is reported, not an error). See bench/RESULTS.md.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { compareRecords, renderComparisons } from './harness/compare.js';
import { Endpoints } from './harness/endpoints.js';
import { connectionCap, raiseFdLimit } from './harness/fd-limit.js';
import { parseBenchOptions, type BenchOptions } from './harness/options.js';
import { stopAll } from './harness/processes.js';
import { readRecord, writeRecord, type BenchRecord } from './harness/record.js';
import { buildRows, renderServerTable, renderTable } from './harness/report.js';
import { runScenario, type ScenarioResult } from './harness/runner.js';
import type { RunContext } from './harness/scenario.js';
import { allScenarios, PROTOCOLS } from './scenarios/index.js';

const say = (line: string): boolean => process.stderr.write(`${line}\n`);
let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  say(`bench: ${error instanceof Error ? error.message : String(error)} (--help lists the options)`);
  process.exit(2);
}

if (options.comparePath !== undefined && options.withPath !== undefined) {
  process.exit(compare(readRecord(options.comparePath), readRecord(options.withPath)));
}

const notes: string[] = [];
const note = (message: string): void => {
  if (notes.includes(message)) return;
  notes.push(message);
  say(`*** ${message}`);
};

const fd = raiseFdLimit();
const cap = connectionCap(fd.limit);
if (!fd.raised) note(`could not raise the open-file limit to 65536 (${fd.problem ?? 'unknown'}); limit ${fd.limit}: connection counts capped at ${cap}`);

const scenarios = allScenarios(options.quick, cap).filter((scenario) => options.only.length === 0 || options.only.some((part) => scenario.id.includes(part)));
if (options.list) {
  for (const scenario of allScenarios(options.quick, cap)) process.stdout.write(`${scenario.id}\n`);
  process.exit(0);
}
if (scenarios.length === 0) {
  say(`no scenario matches --only ${options.only.join(',')} (see --list)`);
  process.exit(2);
}

checkBuild(options.distDir);
const endpoints = new Endpoints({ distDir: options.distDir, profileDir: options.profileDir }, fd.limit, options.quick ? 0.3 : 0.6);
for (const protocol of [...PROTOCOLS, 'postgres'] as const) {
  const missing = endpoints.missingBinary(protocol);
  if (missing !== undefined && scenarios.some((scenario) => scenario.protocol === protocol)) {
    note(`SKIPPING every ${protocol} scenario: ${missing} is not installed (apt-get install ${missing})`);
  }
}

const context: RunContext = { options, endpoints, connectionCap: cap, note, seconds: options.seconds };
const loadStart = loadavg();
const started = performance.now();
const results: ScenarioResult[] = [];
say(`vaurien bench: ${scenarios.length} scenarios, ${options.reps} repetitions${options.quick ? ' (quick)' : ''}, ${cpus().length} cpus, node ${process.version}`);
for (const [index, scenario] of scenarios.entries()) {
  const result = await runScenario(scenario, context, options.reps);
  results.push(result);
  const status = result.skipped !== undefined ? `skipped: ${result.skipped}` : result.error !== undefined ? `FAILED: ${result.error}` : 'done';
  say(`[${index + 1}/${scenarios.length}] ${scenario.id.padEnd(20)} ${result.seconds.toFixed(1).padStart(5)} s  ${status}`);
  if (result.error !== undefined) note(`${scenario.id} failed: ${result.error}`);
  if (result.skipped !== undefined) note(`${scenario.id} skipped: ${result.skipped}`);
}
await stopAll();
const wallSeconds = (performance.now() - started) / 1000;

const rows = buildRows(scenarios, results);
const cpu = cpus();
const record: BenchRecord = {
  version: 1,
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: cpu.length, model: cpu[0]?.model ?? '?', memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), loadAverage: { start: loadStart, end: loadavg() } },
  settings: { quick: options.quick, reps: options.reps, seconds: options.seconds, fdLimit: fd.limit, connectionCap: cap, only: options.only, profile: options.profileDir ?? null, dist: options.distDir },
  wallSeconds,
  notes,
  scenarios: results,
  rows,
};
const failed = rows.flatMap((row) => row.checks).filter((check) => check.pass === false).length;
// References are figures for the record, not targets.
const checks = rows.flatMap((row) => row.checks).filter((check) => check.pass !== undefined).length;
process.stdout.write(
  `\nvaurien bench — ${options.quick ? 'quick, ' : ''}${options.reps} interleaved repetitions, medians; ` +
    `v/direct, v/pipe, v/toxi: vaurien's figure relative to them (> 1 better; latency rows: µs added vs direct)\n` +
    `ratios are paired: the median of the ratios within each repetition; got: that ratio, and in how many repetitions the target was met\n\n`,
);
if (rows.some((row) => row.group !== 'server')) process.stdout.write(`${renderTable(rows)}\n\n`);
const serverTable = renderServerTable(rows);
if (serverTable !== '') process.stdout.write(`vaurien server (no toxic) against vaurien --protocol tcp and the real Toxiproxy; s/x: the server's figure relative to x's (> 1 better)\n\n${serverTable}\n\n`);
process.stdout.write(`targets: ${checks - failed} of ${checks} met; run took ${wallSeconds.toFixed(0)} s (load average ${loadStart.map((value) => value.toFixed(1)).join(' ')} at start)\n`);
for (const line of notes) process.stdout.write(`note: ${line}\n`);
writeRecord(options.jsonPath, record);
process.stdout.write(`written to ${options.jsonPath}${options.profileDir === undefined ? '' : `; CPU profiles of the proxies (vaurien-*, pipe-*) in ${options.profileDir}: node --import tsx bench/profile-top.ts DIR`}\n`);
// A scenario that failed (not one that was skipped) fails the run, as does a regression.
const failures = results.filter((result) => result.error !== undefined).length;
const regressed = options.comparePath === undefined ? 0 : compare(readRecord(options.comparePath), record);
process.exit(failures > 0 || regressed > 0 ? 1 : 0);

/** Prints the comparison; the exit status: 1 when anything regressed. */
function compare(before: BenchRecord, after: BenchRecord): number {
  // Rows are judged as the bench judges them now, in both runs, whatever mode was saved with
  // them (the scenarios are only read here: no cap on connections applies).
  const modes = new Map(allScenarios(false, Number.MAX_SAFE_INTEGER).flatMap((scenario) => scenario.rows.map((row) => [`${scenario.id} ${row.metric}`, row.compareAs] as const)));
  const comparisons = compareRecords(before, after, (row) => modes.get(`${row.scenario} ${row.metric}`) ?? row.compareAs);
  const regressions = comparisons.filter((comparison) => comparison.verdict === 'regression');
  process.stdout.write(`\ncompared with the run of ${before.date} (noise: max(3 × relative std. dev. of the repetitions, 5 %))\n\n`);
  process.stdout.write(`${renderComparisons(comparisons)}\n\n`);
  process.stdout.write(regressions.length === 0 ? `no regression in ${comparisons.length} figures\n` : `${regressions.length} REGRESSION(S) in ${comparisons.length} figures\n`);
  return regressions.length === 0 ? 0 : 1;
}

/** vaurien runs from its build: it must exist, and a build older than the sources is announced. */
function checkBuild(distDir: string): void {
  const bin = resolve(distDir, 'bin/vaurien.js');
  if (!existsSync(bin)) {
    say(`${bin} not found: build vaurien first (npx tsc -p tsconfig.build.json)`);
    process.exit(2);
  }
  const built = statSync(bin).mtimeMs;
  const newest = Math.max(...['lib', 'plugins', 'bin'].map((dir) => newestSource(dir)));
  if (newest > built) note(`${distDir} is older than the sources: measuring the last build (npx tsc -p tsconfig.build.json rebuilds it)`);
}

function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0);
  }
  return newest;
}
