// "20:delay,10:error" ⇄ a list of weighted behavior names. The share left up to 100 goes to
// dummy, as in Vaurien; a bare name means 100% of it. Parsing is linear in the text and a set
// has at most MAX_ENTRIES entries, so no spec (from a flag or the control API) can stall the proxy.
import { UsageError } from '../cli/usage-error.js';

export interface WeightedEntry {
  /** Percentage of exchanges, 0 < weight <= 100 (fractions allowed). */
  readonly weight: number;
  /** A registered behavior name, or a plugin reference (`./chaos/mine.js`, `package#export`). */
  readonly name: string;
}

export type WeightedSpec = readonly WeightedEntry[];

const WEIGHT = /^\d+(\.\d+)?$/;
/** SPEC 18: more entries than this is a mistake, refused before any entry is looked at. */
export const MAX_ENTRIES = 100;

export function parseWeightedSpec(text: string, where = '--behavior'): WeightedSpec {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`${where}: empty behavior spec (expected e.g. 20:delay,10:error)`);
  const count = countEntries(trimmed);
  if (count > MAX_ENTRIES) throw new UsageError(`${where}: a weighted set has at most ${MAX_ENTRIES} entries, got ${count}`);
  const entries: WeightedEntry[] = [];
  const seen = new Set<string>();
  for (const part of trimmed.split(',')) {
    const item = part.trim();
    const colon = item.indexOf(':');
    const weightText = colon === -1 ? '100' : item.slice(0, colon).trim();
    const name = (colon === -1 ? item : item.slice(colon + 1)).trim();
    if (!WEIGHT.test(weightText) || name === '') {
      throw new UsageError(`${where}: malformed entry "${item}" (expected PERCENT:NAME, e.g. 20:delay)`);
    }
    const weight = Number(weightText);
    if (weight <= 0 || weight > 100) throw new UsageError(`${where}: weight of "${name}" must be in (0, 100], got ${weightText}`);
    if (seen.has(name)) throw new UsageError(`${where}: "${name}" appears twice`);
    seen.add(name);
    entries.push({ weight, name });
  }
  const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
  if (total > 100 + 1e-9) throw new UsageError(`${where}: weights add up to ${formatWeight(total)}, more than 100`);
  return entries;
}

/** Entries of a spec: its commas plus one, counted without splitting (a 1 MB spec costs no array). */
function countEntries(text: string): number {
  let count = 1;
  for (let at = text.indexOf(','); at !== -1; at = text.indexOf(',', at + 1)) count++;
  return count;
}

/**
 * The spec as users write it; a single behavior at 100% reads as its bare name ("dummy").
 * Parsing what it writes gives the same set back, so a spec read from a proxy can be set again.
 */
export function formatWeightedSpec(spec: WeightedSpec): string {
  const only = spec[0];
  if (spec.length === 1 && only !== undefined && only.weight === 100) return only.name;
  if (spec.length === 0) return 'dummy';
  return spec.map((entry) => `${formatWeight(entry.weight)}:${entry.name}`).join(',');
}

const EXPONENT_FORM = /^(\d)(?:\.(\d+))?e-(\d+)$/;

/**
 * A weight in plain decimals that parses back to the same number. String() gives the shortest
 * such digits, but below 1e-6 it writes an exponent (1e-7), which the spec syntax does not take:
 * those digits are moved behind "0.000…" instead. Rounding would turn 1e-7 into a refused 0.
 */
function formatWeight(weight: number): string {
  const text = String(weight);
  const match = EXPONENT_FORM.exec(text);
  if (match === null) return text;
  const [, lead = '', rest = '', exponent = '0'] = match;
  return `0.${'0'.repeat(Number(exponent) - 1)}${lead}${rest}`;
}
