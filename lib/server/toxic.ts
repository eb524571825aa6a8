// The toxic model of a `vaurien server`: what a client sends, checked as Toxiproxy checks it and
// in its order, and the JSON it gets back, in Toxiproxy's field order. A toxic is a vaurien
// behavior: its attributes are the behavior's options, checked against its option table.
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { OptionSpec, OptionValue, OptionValues } from '../contract/options.js';
import { defaultsOf } from '../contract/options.js';
import { parseOptionValue } from '../options/option-types.js';
import { Behavior } from '../registry/behaviors.js';
import { integerValue, numberField, objectBody, stringField, typedValue, type JsonObject } from './json-fields.js';
import { badRequestBody, invalidStream, invalidToxicType, toxicAlreadyExists } from './toxiproxy-error.js';

export type ToxicDirection = 'upstream' | 'downstream';

export interface Toxic {
  readonly name: string;
  readonly type: string;
  /** The stream as the client spelled it (Toxiproxy keeps `UPSTREAM` as given). */
  readonly stream: string;
  readonly direction: ToxicDirection;
  readonly definition: BehaviorDefinition;
  readonly toxicity: number;
  /** The behavior's options without `stream`, in its option table's order. */
  readonly attributes: OptionValues;
  /** Seconds after which the toxic removes itself (extension). */
  readonly durationSeconds: number | undefined;
  /** Bumped on every update: open connections replace the toxic's operator when it changes. */
  readonly revision: number;
}

/** Toxiproxy's Go type names, so decoder errors read as its own. */
const GO_STRUCTS: Readonly<Record<string, string>> = {
  latency: 'LatencyToxic',
  bandwidth: 'BandwidthToxic',
  slow_close: 'SlowCloseToxic',
  timeout: 'TimeoutToxic',
  reset_peer: 'ResetToxic',
  slicer: 'SlicerToxic',
  limit_data: 'LimitDataToxic',
  noop: 'NoopToxic',
};

let revisions = 0;

/** Parses `POST /proxies/{proxy}/toxics`; `exists` says whether a toxic of that name is there (409 comes before attributes, as in Toxiproxy). */
export function parseNewToxic(body: unknown, exists: (name: string) => boolean, warn: (message: string) => void): Toxic {
  const fields = objectBody(body, 'toxics.ToxicWrapper');
  const given = {
    name: stringField(fields, 'name', 'ToxicWrapper.name', ''),
    type: stringField(fields, 'type', 'ToxicWrapper.type', ''),
    stream: stringField(fields, 'stream', 'ToxicWrapper.stream', 'downstream'),
    toxicity: numberField(fields, 'toxicity', 'ToxicWrapper.toxicity', 'float32', 1),
  };
  const durationSeconds = parseDuration(fields, undefined);
  const direction = given.stream.toLowerCase();
  if (direction !== 'upstream' && direction !== 'downstream') throw invalidStream();
  const name = given.name === '' ? `${given.type}_${given.stream}` : given.name;
  const definition = given.type === '' ? undefined : Behavior.get(given.type);
  if (definition === undefined) throw invalidToxicType();
  if (exists(name)) throw toxicAlreadyExists();
  const attributes = parseAttributes(definition, defaultAttributes(definition), fields['attributes'], warn);
  return { name, type: given.type, stream: given.stream, direction, definition, toxicity: given.toxicity, attributes, durationSeconds, revision: ++revisions };
}

/** Applies `PATCH /proxies/{proxy}/toxics/{toxic}`: attributes merge into those in force, `toxicity` replaces; the rest is ignored, as in Toxiproxy. */
export function parseToxicUpdate(toxic: Toxic, body: unknown, warn: (message: string) => void): Toxic {
  const fields = objectBody(body, 'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }');
  const toxicity = numberField(fields, 'toxicity', 'toxicity', 'float32', toxic.toxicity);
  const attributes = parseAttributes(toxic.definition, toxic.attributes, fields['attributes'], warn);
  const durationSeconds = parseDuration(fields, toxic.durationSeconds);
  return { ...toxic, toxicity, attributes, durationSeconds, revision: ++revisions };
}

/** The behavior options a toxic runs with: its attributes and its stream. */
export function toxicOptions(toxic: Toxic): OptionValues {
  return 'stream' in toxic.definition.options ? { ...toxic.attributes, stream: toxic.direction } : toxic.attributes;
}

/** The toxic as Toxiproxy shows it; `remainingSeconds` with a duration (extension). */
export function toxicJson(toxic: Toxic, remainingSeconds?: number): Record<string, unknown> {
  return {
    attributes: toxic.attributes,
    name: toxic.name,
    type: toxic.type,
    stream: toxic.stream,
    toxicity: toxic.toxicity,
    ...(toxic.durationSeconds !== undefined ? { duration: toxic.durationSeconds } : {}),
    ...(remainingSeconds !== undefined ? { remaining: Math.max(0, Math.round(remainingSeconds * 1000) / 1000) } : {}),
  };
}

function defaultAttributes(definition: BehaviorDefinition): OptionValues {
  const { stream: _stream, ...rest } = defaultsOf(definition.options) as Record<string, OptionValue>;
  return rest;
}

/**
 * Checks each given attribute against the behavior's option table: Go's message for a wrong JSON
 * type, vaurien's for a value out of range (a negative latency: Toxiproxy takes it, and a
 * negative slicer or bandwidth attribute crashes it). Unknown keys are ignored, as Toxiproxy
 * ignores them, with a warning in the log.
 */
function parseAttributes(definition: BehaviorDefinition, base: OptionValues, raw: unknown, warn: (message: string) => void): OptionValues {
  if (raw === undefined || raw === null) return base;
  const struct = GO_STRUCTS[definition.name] ?? 'ToxicWrapper';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequestBody(`json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go struct field ToxicWrapper.attributes of type toxics.${struct}`);
  const merged: Record<string, OptionValue> = { ...base };
  const table = definition.options as Readonly<Record<string, OptionSpec>>;
  for (const [key, value] of Object.entries(raw as JsonObject)) {
    const spec = key === 'stream' || !Object.hasOwn(table, key) ? undefined : table[key];
    if (spec === undefined) {
      warn(`toxic ${definition.name}: attribute "${key}" ignored (known: ${Object.keys(base).join(', ') || 'none'})`);
      continue;
    }
    const field = `${struct}.attributes.${key}`;
    const typed = spec.type === 'int' ? integerValue(value, field, definition.name === 'slicer' ? 'int' : 'int64') : typedValue(value, field, spec.type);
    try {
      merged[key] = parseOptionValue(spec, typed, `attributes.${key}`);
    } catch (error) {
      throw badRequestBody(error instanceof Error ? error.message : String(error));
    }
  }
  return merged;
}

function parseDuration(fields: JsonObject, fallback: number | undefined): number | undefined {
  const value = fields['duration'];
  if (value === undefined) return fallback;
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2_147_483) {
    throw badRequestBody(`duration: expected a number of seconds, more than 0 and at most 2147483, got ${JSON.stringify(value)}`);
  }
  return value;
}
