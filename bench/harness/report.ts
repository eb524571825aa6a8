// Turns scenario results into table rows (medians per target, vaurien's ratios to direct and
// to the pipe proxy, each target of issue #5 with the measured figure and pass/fail) and
// prints them as a fixed-width table. A ratio between two targets is paired: the median of
// their ratios repetition by repetition (see `pairedRatio`).
import type { Check, CompareAs, RowSpec, Scenario, TargetName } from './scenario.js';
import type { ScenarioResult } from './runner.js';
import { median } from './stats.js';

export interface CheckResult {
  readonly target: string;
  readonly got: string;
  /** Undefined for a reference, which is shown and never fails. */
  readonly pass: boolean | undefined;
}

export interface ReportRow {
  readonly scenario: string;
  readonly protocol: string;
  /** Rows are shown by group: the protocol, or 'chaos'. */
  readonly group: string;
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly compareAs: CompareAs;
  readonly medians: Partial<Record<TargetName, number>>;
  /** Each target's value per repetition, in repetition order (what ratios pair). */
  readonly samples: Partial<Record<TargetName, readonly number[]>>;
  readonly checks: readonly CheckResult[];
}

export function buildRows(scenarios: readonly Scenario[], results: readonly ScenarioResult[]): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const result of results) {
    const scenario = scenarios.find((candidate) => candidate.id === result.id);
    if (scenario === undefined || result.skipped !== undefined) continue;
    for (const spec of scenario.rows) {
      const medians: Partial<Record<TargetName, number>> = {};
      const samples: Partial<Record<TargetName, readonly number[]>> = {};
      for (const target of result.targets) {
        const value = result.medians[target]?.[spec.metric];
        if (value !== undefined) medians[target] = value;
        const values = result.samples[target]?.[spec.metric];
        if (values !== undefined) samples[target] = values;
      }
      rows.push({
        scenario: result.id,
        protocol: result.protocol,
        group: scenario.group ?? (result.id.startsWith('server/') ? 'server' : result.id.includes('chaos') ? 'chaos' : result.protocol),
        metric: spec.metric,
        label: spec.label,
        unit: spec.unit,
        higherIsBetter: spec.higherIsBetter,
        compareAs: spec.compareAs ?? 'relative',
        medians,
        samples,
        checks: (spec.checks ?? []).map((check) => evaluate(check, spec, medians, samples)),
      });
    }
  }
  // Grouped by protocol (in order of first appearance), chaos last; run order within a group.
  const groups = [...new Set(rows.map((row) => row.group).filter((group) => group !== 'chaos')), 'chaos'];
  return rows.map((row, index) => ({ row, index })).sort((a, b) => groups.indexOf(a.row.group) - groups.indexOf(b.row.group) || a.index - b.index).map(({ row }) => row);
}

/** How many times better `target` is than `base` (> 1: better), whatever the row's direction. */
export function betterRatio(higherIsBetter: boolean, target: number, base: number): number {
  return higherIsBetter ? target / base : base / target;
}

/**
 * How many times better `target` is than `base` (> 1: better), paired: the ratio of their
 * values in each repetition, where both ran moments apart, then the median of those ratios.
 * When the machine changes speed between repetitions, a ratio of medians can set one target's
 * fast repetitions against the other's slow ones; a paired ratio compares what ran together.
 * The ratio of medians where the repetitions do not pair up (a target missing some).
 */
export function pairedRatio(higherIsBetter: boolean, target: readonly number[] | undefined, base: readonly number[] | undefined): number {
  return median(pairedRatios(higherIsBetter, target, base));
}

/** The per-repetition ratios `pairedRatio` takes the median of (one ratio of medians when they do not pair up). */
export function pairedRatios(higherIsBetter: boolean, target: readonly number[] | undefined, base: readonly number[] | undefined): number[] {
  if (target === undefined || base === undefined || target.length === 0 || base.length === 0) return [NaN];
  if (target.length !== base.length) return [betterRatio(higherIsBetter, median(target), median(base))];
  return target.map((value, rep) => betterRatio(higherIsBetter, value, base[rep] as number));
}

function evaluate(check: Check, spec: RowSpec, medians: Partial<Record<TargetName, number>>, samples: Partial<Record<TargetName, readonly number[]>>): CheckResult {
  const value = medians[check.target] ?? NaN;
  switch (check.kind) {
    case 'ratio': {
      const ratios = pairedRatios(spec.higherIsBetter, samples[check.target], samples[check.base]);
      const ratio = median(ratios);
      // How many repetitions met the bound on their own: a median alone hides a split.
      const met = ratios.length > 1 ? ` ${ratios.filter((each) => each >= check.min).length}/${ratios.length}` : '';
      return { target: `≥ ${check.min.toFixed(2)}× ${short(check.base)}`, got: `${ratio.toFixed(2)}×${met}`, pass: ratio >= check.min };
    }
    case 'reference':
      return { target: `${short(check.target)} vs ${short(check.base)}`, got: `${pairedRatio(spec.higherIsBetter, samples[check.target], samples[check.base]).toFixed(2)}×`, pass: undefined };
    case 'added': {
      const added = value - (medians[check.base] ?? NaN);
      return { target: `≤ +${check.max} ${spec.unit} vs ${short(check.base)}`, got: `${signed(added)} ${spec.unit}`, pass: added <= check.max };
    }
    case 'atMost':
      return { target: `≤ ${check.max} ${spec.unit}`, got: `${format(value)} ${spec.unit}`, pass: value <= check.max };
    case 'atLeast':
      return { target: `≥ ${check.min} ${spec.unit}`, got: `${format(value)} ${spec.unit}`, pass: value >= check.min };
  }
}

const SHORT: Readonly<Record<TargetName, string>> = {
  direct: 'direct',
  pipe: 'pipe',
  pair: 'pairing proxy',
  'vaurien-tcp': 'v-tcp',
  vaurien: 'vaurien',
  'vaurien-delay': 'dummy+delay',
  'vaurien-error': 'dummy+error',
  'vaurien-server': 'v-server',
  toxiproxy: 'toxiproxy',
  'toxiproxy-latency0': 'toxi+lat0',
  'vaurien-faults': 'no fault log',
  'vaurien-faultlog': 'fault log',
  'vaurien-api': 'idle',
  'vaurien-watched': 'watched',
  'vaurien-tab': 'tab',
};

/** The `ok` column: pass, FAIL, or `ref` for a reference. */
function verdict(check: CheckResult): string {
  return check.pass === undefined ? 'ref' : check.pass ? 'pass' : 'FAIL';
}

function short(target: TargetName): string {
  return target === 'vaurien' ? 'dummy' : SHORT[target];
}

export function format(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function signed(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${format(value)}` : '-';
}

/** Whose figure the vaurien column shows: plain vaurien, else the fault log's and idle rows' baseline. */
const VAURIEN_COLUMN: readonly TargetName[] = ['vaurien', 'vaurien-faults', 'vaurien-api'];

/** The table: one line per row, continuation lines for a row's further checks (the `server/` rows apart: renderServerTable). */
export function renderTable(rows: readonly ReportRow[]): string {
  const header = ['scenario', 'unit', 'direct', 'pipe', 'v-tcp', 'vaurien', 'chaos', 'toxiproxy', 'v/direct', 'v/pipe', 'v/toxi', 'target', 'got', 'ok'];
  const lines: string[][] = [header];
  let lastGroup = '';
  for (const row of rows.filter((candidate) => candidate.group !== 'server')) {
    if (row.group !== lastGroup && lines.length > 1) lines.push([]);
    lastGroup = row.group;
    const m = row.medians;
    // Fault log rows: without it in the vaurien column, with it in chaos; idle rows: idle, then watched (or a tab).
    const shown = VAURIEN_COLUMN.find((target) => m[target] !== undefined);
    const vaurien = shown === undefined ? undefined : m[shown];
    const versus = (base: TargetName): string => (m[base] === undefined || shown === undefined ? '' : pairedRatio(row.higherIsBetter, row.samples[shown], row.samples[base]).toFixed(2));
    const chaos = m['vaurien-delay'] ?? m['vaurien-error'] ?? m['vaurien-faultlog'] ?? m['vaurien-watched'] ?? m['vaurien-tab'];
    // Latency rows: the added µs vs direct is the figure people ask for; other rows: the ratio.
    const versusDirect = row.unit === 'µs' && m.direct !== undefined && vaurien !== undefined ? signed(vaurien - m.direct) : versus('direct');
    const versusPipe = versus('pipe');
    const versusToxiproxy = versus('toxiproxy');
    const [first, ...more] = row.checks;
    lines.push([
      `${row.protocol} ${row.label}`,
      row.unit,
      format(m.direct),
      format(m.pipe),
      format(m['vaurien-tcp']),
      format(vaurien),
      chaos === undefined ? '' : format(chaos),
      m.toxiproxy === undefined ? '' : format(m.toxiproxy),
      versusDirect,
      versusPipe,
      versusToxiproxy,
      first?.target ?? '',
      first?.got ?? '',
      first === undefined ? '' : verdict(first),
    ]);
    for (const check of more) lines.push(['', '', '', '', '', '', '', '', '', '', '', check.target, check.got, verdict(check)]);
  }
  return fixedWidth(header, lines, new Set([0, 1, 11, 13]));
}

/**
 * The `server/` rows: a `vaurien server` proxy with no toxic next to `vaurien --protocol tcp`
 * and to the real Toxiproxy (no toxic, and a 0 ms latency toxic); s/x: how many times better
 * the server's figure is than x's (> 1: better).
 */
export function renderServerTable(rows: readonly ReportRow[]): string {
  const header = ['scenario', 'unit', 'vaurien', 'v-server', 'toxiproxy', 'toxi+lat0', 's/vaurien', 's/toxi', 's/toxi+lat0', 'target', 'got', 'ok'];
  const lines: string[][] = [header];
  for (const row of rows.filter((candidate) => candidate.group === 'server')) {
    const m = row.medians;
    const server = m['vaurien-server'];
    const versus = (base: TargetName): string => (server === undefined || m[base] === undefined ? '' : pairedRatio(row.higherIsBetter, row.samples['vaurien-server'], row.samples[base]).toFixed(2));
    const [first, ...more] = row.checks;
    lines.push([
      row.label,
      row.unit,
      format(m.vaurien),
      format(server),
      format(m.toxiproxy),
      format(m['toxiproxy-latency0']),
      versus('vaurien'),
      versus('toxiproxy'),
      versus('toxiproxy-latency0'),
      first?.target ?? '',
      first?.got ?? '',
      first === undefined ? '' : verdict(first),
    ]);
    for (const check of more) lines.push(['', '', '', '', '', '', '', '', '', check.target, check.got, verdict(check)]);
  }
  return lines.length === 1 ? '' : fixedWidth(header, lines, new Set([0, 1, 9, 11]));
}

function fixedWidth(header: readonly string[], lines: readonly string[][], leftAligned: ReadonlySet<number>): string {
  const widths = header.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
  return lines
    .map((line) =>
      line.length === 0
        ? ''
        : line
            .map((cell, column) => (leftAligned.has(column) ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)))
            .join('  ')
            .trimEnd(),
    )
    .join('\n');
}
