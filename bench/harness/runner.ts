// Runs one scenario: a warm-up of each target, then `reps` repetitions in which every target
// is measured once, in an order that rotates each repetition (so no target always runs right
// after another, or always first). Keeps every sample; medians are taken per target and metric.
import { SkipProtocol } from './endpoints.js';
import type { RunContext, Scenario, TargetName } from './scenario.js';
import { median } from './stats.js';

export interface ScenarioResult {
  readonly id: string;
  readonly protocol: string;
  readonly targets: readonly TargetName[];
  readonly reps: number;
  /** target → metric → one value per repetition, in repetition order. */
  readonly samples: Partial<Record<TargetName, Record<string, number[]>>>;
  readonly medians: Partial<Record<TargetName, Record<string, number>>>;
  readonly seconds: number;
  readonly skipped?: string;
  readonly error?: string;
}

export async function runScenario(scenario: Scenario, context: RunContext, reps: number): Promise<ScenarioResult> {
  const started = performance.now();
  const count = Math.min(reps, scenario.maxReps ?? reps);
  const samples: Partial<Record<TargetName, Record<string, number[]>>> = {};
  const base = { id: scenario.id, protocol: scenario.protocol, targets: scenario.targets, reps: count };
  try {
    if (scenario.warmup) {
      const warming = { ...context, seconds: context.options.warmupSeconds };
      for (const target of scenario.targets) await scenario.run(target, warming);
    }
    for (let rep = 0; rep < count; rep++) {
      const order = scenario.targets.map((_, index) => scenario.targets[(index + rep) % scenario.targets.length] as TargetName);
      for (const target of order) {
        const metrics = await scenario.run(target, context);
        const perMetric = (samples[target] ??= {});
        for (const [metric, value] of Object.entries(metrics)) (perMetric[metric] ??= []).push(value);
      }
    }
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    if (error instanceof SkipProtocol) return { ...base, samples: {}, medians: {}, seconds, skipped: error.message };
    return { ...base, samples, medians: mediansOf(samples), seconds, error: error instanceof Error ? error.message : String(error) };
  }
  return { ...base, samples, medians: mediansOf(samples), seconds: (performance.now() - started) / 1000 };
}

function mediansOf(samples: ScenarioResult['samples']): ScenarioResult['medians'] {
  const medians: Partial<Record<TargetName, Record<string, number>>> = {};
  for (const [target, metrics] of Object.entries(samples) as Array<[TargetName, Record<string, number[]>]>) {
    medians[target] = Object.fromEntries(Object.entries(metrics).map(([metric, values]) => [metric, median(values)]));
  }
  return medians;
}
