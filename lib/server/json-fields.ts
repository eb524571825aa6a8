// Reads JSON bodies the way Toxiproxy's Go decoder does, so a wrong type gets its message:
// `json: cannot unmarshal string into Go struct field Proxy.enabled of type bool`. Unknown keys
// are ignored, as Go ignores them; absent keys keep their default.
import { badRequestBody } from './toxiproxy-error.js';

export type JsonObject = Readonly<Record<string, unknown>>;

/** Go's name for the JSON kind of `value`, as its decoder errors say it. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  return typeof value === 'object' ? 'object' : typeof value === 'boolean' ? 'bool' : typeof value;
}

/** The body as an object, or Go's error for decoding anything else into `goType`. */
export function objectBody(body: unknown, goType: string): JsonObject {
  if (body === undefined) throw badRequestBody('EOF');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequestBody(`json: cannot unmarshal ${jsonKind(body)} into Go value of type ${goType}`);
  return body as JsonObject;
}

function wrongType(value: unknown, field: string, goType: string): never {
  // Go names a number that does not fit an integer type by its value: `number 1.5`.
  const kind = typeof value === 'number' && goType.startsWith('int') ? `number ${String(value)}` : jsonKind(value);
  throw badRequestBody(`json: cannot unmarshal ${kind} into Go struct field ${field} of type ${goType}`);
}

/** A string field (`field` as Go names it: `Proxy.name`); null and absent keep `fallback`. */
export function stringField(fields: JsonObject, key: string, field: string, fallback: string): string {
  const value = fields[key];
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' ? value : wrongType(value, field, 'string');
}

export function boolField(fields: JsonObject, key: string, field: string, fallback: boolean): boolean {
  const value = fields[key];
  if (value === undefined || value === null) return fallback;
  return typeof value === 'boolean' ? value : wrongType(value, field, 'bool');
}

export function numberField(fields: JsonObject, key: string, field: string, goType: string, fallback: number): number {
  const value = fields[key];
  if (value === undefined || value === null) return fallback;
  return typeof value === 'number' && Number.isFinite(value) ? value : wrongType(value, field, goType);
}

/** An integer, as Go decodes into int64: 1.5 is refused with its own message. */
export function integerValue(value: unknown, field: string, goType: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return wrongType(value, field, goType);
}

export function typedValue(value: unknown, field: string, type: 'bool' | 'float' | 'string'): boolean | number | string {
  if (type === 'bool' && typeof value === 'boolean') return value;
  if (type === 'float' && typeof value === 'number' && Number.isFinite(value)) return value;
  if (type === 'string' && typeof value === 'string') return value;
  return wrongType(value, field, type === 'float' ? 'float64' : type);
}
