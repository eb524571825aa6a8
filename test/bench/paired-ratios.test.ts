// How `npm run bench` judges a target against another: repetition by repetition. When the
// machine changes speed between one target's turn and the next, a ratio of medians can set one
// target's fast repetitions against the other's slow ones; what a reader of the table must get
// is what ran side by side, and in how many repetitions the target was met.
import assert from 'node:assert/strict';
import test from 'node:test';
import { buildRows, pairedRatio, renderTable } from '../../bench/harness/report.js';
import type { ScenarioResult } from '../../bench/harness/runner.js';
import type { Scenario, TargetName } from '../../bench/harness/scenario.js';
import { median } from '../../bench/harness/stats.js';

const scenario: Scenario = {
  id: 'redis/rate',
  protocol: 'redis',
  targets: ['direct', 'vaurien', 'toxiproxy'],
  warmup: false,
  run: () => Promise.reject(new Error('not run: the results are given')),
  rows: [
    { metric: 'rate', label: 'GETs per second', unit: 'k/s', higherIsBetter: true, checks: [{ kind: 'ratio', target: 'vaurien', base: 'toxiproxy', min: 1 }] },
    { metric: 'cpu', label: 'CPU per GET', unit: 'µs', higherIsBetter: false, checks: [{ kind: 'ratio', target: 'vaurien', base: 'toxiproxy', min: 1 }] },
  ],
};

function resultOf(samples: Partial<Record<TargetName, Record<string, number[]>>>): ScenarioResult {
  const medians: Partial<Record<TargetName, Record<string, number>>> = {};
  for (const [target, metrics] of Object.entries(samples) as Array<[TargetName, Record<string, number[]>]>) {
    medians[target] = Object.fromEntries(Object.entries(metrics).map(([metric, values]) => [metric, median(values)]));
  }
  return { id: scenario.id, protocol: 'redis', targets: scenario.targets, reps: 5, samples, medians, seconds: 1 };
}

test('a ratio is the median of the ratios within each repetition, not the ratio of the medians', () => {
  // The machine sped up in the third repetition, between Toxiproxy's turn and vaurien's: vaurien
  // led in four repetitions of five, yet its median is 10 against Toxiproxy's 13.
  const rows = buildRows(
    [scenario],
    [
      resultOf({
        direct: { rate: [20, 20, 26, 28, 28], cpu: [1, 1, 1, 1, 1] },
        vaurien: { rate: [10, 10, 10, 14, 14], cpu: [5, 5, 5, 4, 4] },
        toxiproxy: { rate: [9, 9, 13, 13, 13], cpu: [6, 6, 4, 5, 5] },
      }),
    ],
  );
  const [rate, cpu] = rows;
  assert.ok(rate !== undefined && cpu !== undefined);
  assert.equal(rate.medians.vaurien, 10);
  assert.equal(rate.medians.toxiproxy, 13);
  // Paired: 10/9, 10/9, 10/13, 14/13, 14/13 → median 14/13.
  assert.deepEqual(rate.checks, [{ target: '≥ 1.00× toxiproxy', got: '1.08× 4/5', pass: true }]);
  // Lower is better: toxiproxy's CPU over vaurien's, 6/5 6/5 4/5 5/4 5/4 → median 1.20.
  assert.deepEqual(cpu.checks, [{ target: '≥ 1.00× toxiproxy', got: '1.20× 4/5', pass: true }]);
  const line = renderTable(rows).split('\n').find((each) => each.includes('GETs per second'));
  // v/direct 10/20 10/20 10/26 14/28 14/28 → 0.50; v/toxi 1.08.
  assert.match(line ?? '', /\s0\.50\s+1\.08\s+≥ 1\.00× toxiproxy\s+1\.08× 4\/5\s+pass$/);
});

test('a target that fell behind in most repetitions fails, however its median looks', () => {
  const rows = buildRows([scenario], [resultOf({ direct: { rate: [20, 20, 20], cpu: [1, 1, 1] }, vaurien: { rate: [12, 12, 9], cpu: [1, 1, 1] }, toxiproxy: { rate: [13, 13, 8], cpu: [1, 1, 1] } })]);
  assert.deepEqual(rows[0]?.checks, [{ target: '≥ 1.00× toxiproxy', got: '0.92× 1/3', pass: false }]);
});

test('repetitions that do not pair up (a target missing some) fall back to the ratio of medians', () => {
  assert.equal(pairedRatio(true, [10, 12, 14], [10, 10]), 1.2);
  assert.ok(Number.isNaN(pairedRatio(true, [10], undefined)));
  assert.ok(Number.isNaN(pairedRatio(true, [], [1])));
});
