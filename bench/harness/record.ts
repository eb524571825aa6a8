// The JSON a run writes (bench/results/*.json, gitignored) and --compare reads back.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReportRow } from './report.js';
import type { ScenarioResult } from './runner.js';

export interface BenchRecord {
  readonly version: 1;
  readonly date: string;
  readonly node: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly memoryGiB: number; readonly kernel: string; readonly loadAverage: { readonly start: number[]; readonly end: number[] } };
  readonly settings: Readonly<Record<string, unknown>>;
  readonly wallSeconds: number;
  readonly notes: readonly string[];
  readonly scenarios: readonly ScenarioResult[];
  readonly rows: readonly ReportRow[];
}

export function writeRecord(path: string, record: BenchRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}

export function readRecord(path: string): BenchRecord {
  const record = JSON.parse(readFileSync(path, 'utf8')) as Partial<BenchRecord>;
  if (record.version !== 1 || !Array.isArray(record.scenarios) || !Array.isArray(record.rows)) {
    throw new Error(`${path} is not a bench result of this harness (version 1)`);
  }
  return record as BenchRecord;
}
