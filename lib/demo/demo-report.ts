// Tallies the demo's requests per behavior and outcome, and prints them as a table.
import type { Outcome, RequestResult } from './demo-client.js';

const OUTCOMES: readonly Outcome[] = ['2xx', '5xx', 'reset', 'timeout', 'other'];

export class DemoTally {
  private readonly rows = new Map<string, { counts: Map<Outcome, number>; latencies: number[] }>();

  add(behavior: string, result: RequestResult): void {
    let row = this.rows.get(behavior);
    if (row === undefined) this.rows.set(behavior, (row = { counts: new Map(), latencies: [] }));
    row.counts.set(result.outcome, (row.counts.get(result.outcome) ?? 0) + 1);
    row.latencies.push(result.latencyMs);
  }

  get total(): number {
    let total = 0;
    for (const row of this.rows.values()) total += row.latencies.length;
    return total;
  }

  format(): string {
    const showOther = [...this.rows.values()].some((row) => (row.counts.get('other') ?? 0) > 0);
    const outcomes = OUTCOMES.filter((outcome) => outcome !== 'other' || showOther);
    const header = ['behavior', 'requests', ...outcomes, 'p50 ms', 'p99 ms'];
    const body: string[][] = [];
    const all = { counts: new Map<Outcome, number>(), latencies: [] as number[] };
    const names = [...this.rows.keys()].sort((a, b) => (a === 'dummy' ? -1 : b === 'dummy' ? 1 : a.localeCompare(b)));
    for (const name of names) {
      const row = this.rows.get(name);
      if (row === undefined) continue;
      body.push(formatRow(name, row, outcomes));
      for (const [outcome, count] of row.counts) all.counts.set(outcome, (all.counts.get(outcome) ?? 0) + count);
      all.latencies.push(...row.latencies);
    }
    body.push(formatRow('all', all, outcomes));
    const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)));
    const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[column] as number))).join('  ');
    return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
  }
}

function formatRow(name: string, row: { counts: Map<Outcome, number>; latencies: number[] }, outcomes: readonly Outcome[]): string[] {
  const sorted = [...row.latencies].sort((a, b) => a - b);
  return [
    name,
    String(sorted.length),
    ...outcomes.map((outcome) => String(row.counts.get(outcome) ?? 0)),
    percentile(sorted, 0.5),
    percentile(sorted, 0.99),
  ];
}

function percentile(sorted: readonly number[], rank: number): string {
  if (sorted.length === 0) return '-';
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(rank * sorted.length) - 1)] as number;
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}
