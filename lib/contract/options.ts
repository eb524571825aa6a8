// The typed option table shared by behaviors and protocols. One table drives the CLI flags,
// the INI file, the control API and --help, so a value is parsed and checked in one place.

/** The four types an option can have; they map to Vaurien's bool/int/float/str. */
export type OptionType = 'bool' | 'int' | 'float' | 'string';

/** setTimeout's ceiling (~24.8 days) in seconds: a longer timer (or Infinity) would fire after 1 ms. The `max` of any option that becomes a timer. */
export const MAX_TIMER_SECONDS = 2_147_483;

/** The value of one option. */
export type OptionValue = boolean | number | string;

/** A set of option values, keyed by option name (`sleep`, `keep_alive`). */
export type OptionValues = { readonly [name: string]: OptionValue };

/** How one option is described, typed and defaulted. */
export interface OptionSpec<V extends OptionValue = OptionValue> {
  readonly type: OptionType;
  readonly default: V;
  readonly description: string;
  /** Smallest accepted value for numeric options (inclusive). Defaults to 0: seconds and counts are never negative. */
  readonly min?: number;
  /** Largest accepted value for numeric options (inclusive). */
  readonly max?: number;
  /** The values a string option accepts (a toxic's `stream`: `upstream` or `downstream`). */
  readonly choices?: readonly string[];
}

/**
 * The option table of a behavior or protocol.
 * @example
 * const options: OptionTable<{ sleep: number }> = {
 *   sleep: { type: 'float', default: 1, description: 'Delay in seconds' },
 * };
 */
export type OptionTable<O extends OptionValues = OptionValues> = {
  readonly [K in keyof O]: OptionSpec<O[K]>;
};

/** The defaults of a table, as a value set. */
export function defaultsOf<O extends OptionValues>(table: OptionTable<O>): O {
  const values: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(table) as Array<[string, OptionSpec]>) values[name] = spec.default;
  return values as O;
}
