// A weighted spec and its options as a BehaviorPlan: names resolved in the registry, options in
// the one shape users write them (flat for one behavior, per name for a set), checked against
// each behavior's table (`base` values, else defaults, for the rest).
import { UsageError } from '../cli/usage-error.js';
import { defaultsOf, type OptionTable, type OptionValues } from '../contract/options.js';
import { OptionsShapeError, shapeBehaviorOptions } from '../options/behavior-options-shape.js';
import { mergeOptions } from '../options/option-types.js';
import { Behavior } from '../registry/behaviors.js';
import { BehaviorPlan, type BehaviorChoice } from './picker.js';
import { parseWeightedSpec, type WeightedSpec } from './weighted-spec.js';

/** Options as a caller gives them: one behavior's flat (`{ sleep: 2 }`), or per name (`{ delay: { sleep: 2 } }`). */
export type GivenBehaviorOptions = Readonly<Record<string, unknown>>;

export function planFromSpec(
  spec: string,
  options: GivenBehaviorOptions = {},
  where = `behavior "${spec}"`,
  base: (name: string) => OptionValues | undefined = () => undefined,
): { readonly spec: WeightedSpec; readonly plan: BehaviorPlan } {
  const parsed = parseWeightedSpec(spec, where);
  let perBehavior: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  try {
    perBehavior = shapeBehaviorOptions(spec, parsed.map((entry) => entry.name), options, (name) => Behavior.get(name)?.options as OptionTable | undefined).options;
  } catch (error) {
    if (error instanceof OptionsShapeError) throw new UsageError(`${where}: options.${error.key}: ${error.message}`);
    throw error;
  }
  const choices: BehaviorChoice[] = [];
  for (const entry of parsed) {
    const definition = Behavior.require(entry.name, where);
    const merged = mergeOptions(definition.options, base(entry.name) ?? defaultsOf(definition.options), perBehavior[entry.name] ?? {}, (option) => `${entry.name}.${option}`);
    if (entry.name !== 'dummy') choices.push({ definition, options: merged, weight: entry.weight });
  }
  return { spec: parsed, plan: new BehaviorPlan(choices) };
}
