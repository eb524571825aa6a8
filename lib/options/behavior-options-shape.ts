// The one shape of a behavior change's options (setBehavior, PUT /behavior, Client, vaurienctl):
// one behavior's flat ({ sleep: 2 }) or under its name, a weighted set's under each name.
// Invariant: the result is per behavior name; a mistake names the key the caller wrote.
import { UsageError } from '../cli/usage-error.js';
import type { OptionTable } from '../contract/options.js';

/** Option values per behavior name, as the caller gave them (not yet typed). */
export type OptionsByBehavior = Record<string, Record<string, unknown>>;

export interface ShapedOptions {
  readonly options: OptionsByBehavior;
  /** True when the caller gave one behavior's options flat: `sleep`, not `delay.sleep`, is what they wrote. */
  readonly flat: boolean;
}

/** A shape mistake; `key` is the top-level key the caller wrote (`sleep`, `error`). */
export class OptionsShapeError extends UsageError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sorts `given` out per behavior of `spec` (its names in `names`). `optionsOf` gives a behavior's
 * option table (undefined when unknown), to tell `{ latency: 200 }` (a behavior `latency` with an
 * option `latency`) from a misplaced `{ delay: 2 }`, and to word examples.
 */
export function shapeBehaviorOptions(
  spec: string,
  names: readonly string[],
  given: Readonly<Record<string, unknown>>,
  optionsOf: (behavior: string) => OptionTable | undefined,
): ShapedOptions {
  const optionNames = (behavior: string): string[] | undefined => {
    const table = optionsOf(behavior);
    return table === undefined ? undefined : Object.keys(table);
  };
  const keys = Object.keys(given);
  if (keys.length === 0) return { options: {}, flat: false };
  // dummy takes no options: `20:delay,80:dummy` is one behavior to give options to.
  const acting = names.filter((name) => name !== 'dummy');
  const only = acting.length === 1 ? acting[0] : names.length === 1 ? names[0] : undefined;
  const nested = keys.filter((key) => isPlainObject(given[key]) || (key === only && optionNames(key)?.includes(key) === false));
  const flat = keys.filter((key) => !nested.includes(key));

  for (const key of nested) {
    if (!names.includes(key)) throw new OptionsShapeError(key, `"${key}" is not in "${spec}"`);
    if (!isPlainObject(given[key])) {
      throw new OptionsShapeError(key, `expected an object of ${key}'s option values, e.g. {"${key}": {${example(optionsOf(key))}}}, or its options flat`);
    }
  }
  if (flat.length === 0) return { options: Object.fromEntries(nested.map((key) => [key, { ...(given[key] as Record<string, unknown>) }])), flat: false };

  const first = flat[0] as string;
  if (only === undefined) {
    const owner = acting.find((name) => optionNames(name)?.includes(first) === true) ?? acting[0] ?? names[0];
    throw new OptionsShapeError(
      first,
      `in a weighted set each behavior's options go under its name, e.g. {"${owner}": {"${first}": ${JSON.stringify(given[first]) ?? '...'}}}`,
    );
  }
  if (nested.length > 0) throw new OptionsShapeError(only, `give ${only}'s options either flat or under "${only}", not both`);
  return { options: { [only]: { ...given } }, flat: true };
}

/** `"sleep": 1`: a behavior's first option with its default, for an error's example. */
function example(table: OptionTable | undefined): string {
  const [option, spec] = Object.entries(table ?? {})[0] ?? [];
  return option === undefined || spec === undefined ? '' : `"${option}": ${JSON.stringify(spec.default)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
