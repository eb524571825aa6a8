// --compare: each vaurien figure of this run against a saved run. A figure is vaurien's
// value relative to the pipe proxy (else direct; for chaos, dummy vaurien) in the same
// repetition (they ran back to back, so machine-wide slowness mostly cancels); for CPU time,
// relative to the pipe proxy's where it ran; or the value itself for rows marked absolute
// (memory, opening rates). A regression is a change for the worse beyond the noise:
// max(3 × the robust relative spread of the repetitions, in either run; 5 %).
import { betterRatio, format, type ReportRow } from './report.js';
import type { BenchRecord } from './record.js';
import type { ScenarioResult } from './runner.js';
import type { CompareAs, TargetName } from './scenario.js';
import { median, robustSpread } from './stats.js';

export interface Comparison {
  readonly scenario: string;
  readonly metric: string;
  readonly label: string;
  readonly target: TargetName;
  readonly figure: string;
  readonly before: number;
  readonly after: number;
  /** Relative change of the figure, > 0 better. */
  readonly change: number;
  readonly threshold: number;
  readonly verdict: 'regression' | 'better' | 'same';
}

const FLOOR = 0.05;
/** Rows that describe the setup rather than performance. */
const NOT_COMPARED = new Set(['delayed', 'rssMiB']);

interface Figures {
  readonly values: number[];
  /** 'absolute', or the target the values are ratios to (as "times better than"). */
  readonly base: string;
  readonly higherIsBetter: boolean;
}

/** Per-repetition figures of `target` on `metric`, as `compareAs` says; undefined when there are no samples. */
function figures(result: ScenarioResult, row: ReportRow, target: TargetName, compareAs: CompareAs): Figures | undefined {
  const { metric, higherIsBetter } = row;
  const values = result.samples[target]?.[metric];
  if (values === undefined || values.length === 0) return undefined;
  const baseTarget = baseOf(compareAs, target, (name) => result.samples[name]?.[metric] !== undefined);
  const bases = baseTarget === undefined ? undefined : result.samples[baseTarget]?.[metric];
  if (baseTarget === undefined || bases === undefined) return { values, base: 'absolute', higherIsBetter };
  return { values: values.map((value, rep) => betterRatio(higherIsBetter, value, bases[rep] ?? NaN)), base: `× vs ${baseTarget}`, higherIsBetter: true };
}

/** What `target`'s figures are divided by, of the targets the scenario `ran`; undefined: taken as they are. */
function baseOf(compareAs: CompareAs, target: TargetName, ran: (name: TargetName) => boolean): TargetName | undefined {
  if (compareAs === 'absolute') return undefined;
  if (ran('pipe')) return 'pipe';
  if (compareAs === 'pipe') return undefined;
  if (ran('direct')) return 'direct';
  return target !== 'vaurien' && ran('vaurien') ? 'vaurien' : undefined;
}

/**
 * `modeOf` gives how the bench compares a row now (a saved run keeps the mode of its day):
 * both runs are then judged the same way.
 */
export function compareRecords(before: BenchRecord, after: BenchRecord, modeOf: (row: ReportRow) => CompareAs = (row) => row.compareAs): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const row of after.rows) {
    if (NOT_COMPARED.has(row.metric)) continue;
    const oldRow = before.rows.find((candidate) => candidate.scenario === row.scenario && candidate.metric === row.metric);
    const oldResult = before.scenarios.find((candidate) => candidate.id === row.scenario);
    const newResult = after.scenarios.find((candidate) => candidate.id === row.scenario);
    if (oldRow === undefined || oldResult === undefined || newResult === undefined) continue;
    const compareAs = modeOf(row);
    for (const target of newResult.targets.filter((name) => name.startsWith('vaurien'))) {
      const old = figures(oldResult, oldRow, target, compareAs);
      const now = figures(newResult, row, target, compareAs);
      if (old === undefined || now === undefined || old.base !== now.base) continue;
      const beforeValue = median(old.values);
      const afterValue = median(now.values);
      const change = ((now.higherIsBetter ? 1 : -1) * (afterValue - beforeValue)) / Math.abs(beforeValue);
      const threshold = Math.max(FLOOR, 3 * Math.max(robustSpread(old.values), robustSpread(now.values)));
      const verdict = change < -threshold ? 'regression' : change > threshold ? 'better' : 'same';
      comparisons.push({ scenario: row.scenario, metric: row.metric, label: `${row.protocol} ${row.label}`, target, figure: now.base, before: beforeValue, after: afterValue, change, threshold, verdict });
    }
  }
  return comparisons;
}

export function renderComparisons(comparisons: readonly Comparison[]): string {
  const header = ['row', 'target', 'figure', 'before', 'after', 'change', 'noise', 'verdict'];
  const lines = [
    header,
    ...comparisons.map((c) => [
      c.label,
      c.target,
      c.figure,
      format(c.before),
      format(c.after),
      `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)}%`,
      `±${(c.threshold * 100).toFixed(1)}%`,
      c.verdict === 'regression' ? 'REGRESSION' : c.verdict,
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
  return lines.map((line) => line.map((cell, column) => (column < 3 || column === 7 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join('  ').trimEnd()).join('\n');
}
