// Turns scenario results into table rows (medians per target, vaurien's ratios to direct and
// to the pipe proxy, each target of issue #5 with the measured figure and pass/fail) and
// prints them as a fixed-width table.
import type { Check, CompareAs, RowSpec, Scenario, TargetName } from './scenario.js';
import type { ScenarioResult } from './runner.js';

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
  readonly checks: readonly CheckResult[];
}

export function buildRows(scenarios: readonly Scenario[], results: readonly ScenarioResult[]): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const result of results) {
    const scenario = scenarios.find((candidate) => candidate.id === result.id);
    if (scenario === undefined || result.skipped !== undefined) continue;
    for (const spec of scenario.rows) {
      const medians: Partial<Record<TargetName, number>> = {};
      for (const target of result.targets) {
        const value = result.medians[target]?.[spec.metric];
        if (value !== undefined) medians[target] = value;
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
        checks: (spec.checks ?? []).map((check) => evaluate(check, spec, medians)),
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

function evaluate(check: Check, spec: RowSpec, medians: Partial<Record<TargetName, number>>): CheckResult {
  const value = medians[check.target] ?? NaN;
  switch (check.kind) {
    case 'ratio': {
      const ratio = betterRatio(spec.higherIsBetter, value, medians[check.base] ?? NaN);
      return { target: `≥ ${check.min.toFixed(2)}× ${short(check.base)}`, got: `${ratio.toFixed(2)}×`, pass: ratio >= check.min };
    }
    case 'reference':
      return { target: `${short(check.target)} vs ${short(check.base)}`, got: `${betterRatio(spec.higherIsBetter, value, medians[check.base] ?? NaN).toFixed(2)}×`, pass: undefined };
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
    const vaurien = m.vaurien ?? m['vaurien-faults'] ?? m['vaurien-api'];
    const chaos = m['vaurien-delay'] ?? m['vaurien-error'] ?? m['vaurien-faultlog'] ?? m['vaurien-watched'] ?? m['vaurien-tab'];
    // Latency rows: the added µs vs direct is the figure people ask for; other rows: the ratio.
    const versusDirect = m.direct === undefined || vaurien === undefined ? '' : row.unit === 'µs' ? signed(vaurien - m.direct) : betterRatio(row.higherIsBetter, vaurien, m.direct).toFixed(2);
    const versusPipe = m.pipe === undefined || vaurien === undefined ? '' : betterRatio(row.higherIsBetter, vaurien, m.pipe).toFixed(2);
    const versusToxiproxy = m.toxiproxy === undefined || vaurien === undefined ? '' : betterRatio(row.higherIsBetter, vaurien, m.toxiproxy).toFixed(2);
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
    const versus = (base: number | undefined): string => (server === undefined || base === undefined ? '' : betterRatio(row.higherIsBetter, server, base).toFixed(2));
    const [first, ...more] = row.checks;
    lines.push([
      row.label,
      row.unit,
      format(m.vaurien),
      format(server),
      format(m.toxiproxy),
      format(m['toxiproxy-latency0']),
      versus(m.vaurien),
      versus(m.toxiproxy),
      versus(m['toxiproxy-latency0']),
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
