// A weighted spec and its options as a BehaviorPlan: names resolved in the registry, options
// checked against each behavior's table (defaults, or `base` values, for the rest).
import { UsageError } from '../cli/usage-error.js';
import { defaultsOf, type OptionValues } from '../contract/options.js';
import { mergeOptions } from '../options/option-types.js';
import { Behavior } from '../registry/behaviors.js';
import { BehaviorPlan, type BehaviorChoice } from './picker.js';
import { parseWeightedSpec, type WeightedSpec } from './weighted-spec.js';

/** Options as a caller gives them, per behavior name: raw values, checked against the table. */
export type OptionsByBehavior = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export function planFromSpec(
  spec: string,
  options: OptionsByBehavior = {},
  where = 'behavior',
  base: (name: string) => OptionValues | undefined = () => undefined,
): { readonly spec: WeightedSpec; readonly plan: BehaviorPlan } {
  const parsed = parseWeightedSpec(spec, where);
  const named = new Set(parsed.map((entry) => entry.name));
  for (const name of Object.keys(options)) {
    if (!named.has(name)) throw new UsageError(`${where}: options given for "${name}", which is not in "${spec}"`);
  }
  const choices: BehaviorChoice[] = [];
  for (const entry of parsed) {
    const definition = Behavior.require(entry.name, where);
    const merged = mergeOptions(definition.options, base(entry.name) ?? defaultsOf(definition.options), options[entry.name] ?? {}, (option) => `${entry.name}.${option}`);
    if (entry.name !== 'dummy') choices.push({ definition, options: merged, weight: entry.weight });
  }
  return { spec: parsed, plan: new BehaviorPlan(choices) };
}
