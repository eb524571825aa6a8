// Parses and checks option values for the CLI, the INI file and the control API alike, so
// `sleep = -1` is refused the same way wherever it comes from, with a message naming it.
import type { OptionSpec, OptionTable, OptionValue, OptionValues } from '../contract/options.js';
import { UsageError } from '../cli/usage-error.js';

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Converts `raw` (a string from a flag or INI file, or a JSON value from the API) to the
 * option's type. `where` names the option in the error: `--behavior-delay-sleep`, `delay.sleep`.
 */
export function parseOptionValue(spec: OptionSpec, raw: unknown, where: string): OptionValue {
  const value = convert(spec, raw, where);
  if (typeof value === 'number') checkRange(spec, value, where);
  return value;
}

function convert(spec: OptionSpec, raw: unknown, where: string): OptionValue {
  // Numbers as they are: JSON.stringify would show Infinity (JSON's 1e309) and NaN as "null".
  const shown = typeof raw === 'string' ? `"${raw}"` : typeof raw === 'number' ? String(raw) : JSON.stringify(raw) ?? String(raw);
  switch (spec.type) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const word = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : undefined;
      if (word !== undefined && TRUE_WORDS.has(word)) return true;
      if (word !== undefined && FALSE_WORDS.has(word)) return false;
      throw new UsageError(`${where}: expected true or false, got ${shown}`);
    }
    case 'int': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'string' && INTEGER.test(raw.trim()) && Number.isSafeInteger(Number(raw))) return Number(raw);
      throw new UsageError(`${where}: expected an integer, got ${shown}`);
    }
    case 'float': {
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (typeof raw === 'string' && FLOAT.test(raw.trim())) return Number(raw);
      throw new UsageError(`${where}: expected a number, got ${shown}`);
    }
    case 'string': {
      const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
      if (text === undefined) throw new UsageError(`${where}: expected a string, got ${shown}`);
      if (spec.choices !== undefined && !spec.choices.includes(text)) throw new UsageError(`${where}: expected one of ${spec.choices.join(', ')}, got ${shown}`);
      return text;
    }
  }
}

function checkRange(spec: OptionSpec, value: number, where: string): void {
  const min = spec.min ?? 0;
  if (value < min) throw new UsageError(`${where}: must be at least ${min}, got ${value}`);
  if (spec.max !== undefined && value > spec.max) throw new UsageError(`${where}: must be at most ${spec.max}, got ${value}`);
}

/**
 * Applies `given` over `base` (defaults, or the values in force), checking each entry.
 * Unknown names are refused, naming the known ones.
 */
export function mergeOptions<O extends OptionValues>(
  table: OptionTable<O>,
  base: O,
  given: Readonly<Record<string, unknown>>,
  where: (name: string) => string,
): O {
  const merged: Record<string, OptionValue> = { ...base };
  for (const [name, raw] of Object.entries(given)) {
    const spec = Object.hasOwn(table, name) ? (table as Record<string, OptionSpec | undefined>)[name] : undefined; // not `constructor`…
    if (spec === undefined) {
      const known = Object.keys(table);
      throw new UsageError(`${where(name)}: unknown option${known.length ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`);
    }
    merged[name] = parseOptionValue(spec, raw, where(name));
  }
  return merged as O;
}
