// The proxy fields a client sends (create, update, populate, the config file), read as
// Toxiproxy reads them: Go's decoder messages for wrong types, its required fields, and the
// extensions `protocol` (a vaurien protocol, default tcp) and `toxics` (added at creation).
import { Protocol } from '../registry/protocols.js';
import { boolField, stringField, type JsonObject } from './json-fields.js';
import { badRequestBody } from './toxiproxy-error.js';

export interface ProxyFields {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly protocol: string;
  /** Toxics to put on it (extension), as POST /toxics bodies; undefined: leave them alone. */
  readonly toxics: readonly unknown[] | undefined;
}

/** Reads `fields` over `defaults` (an update starts from the proxy as it is). */
export function readProxyFields(fields: JsonObject, defaults: Omit<ProxyFields, 'name' | 'toxics'> & { readonly name: string }, goType = 'Proxy'): ProxyFields {
  const protocol = stringField(fields, 'protocol', `${goType}.protocol`, defaults.protocol);
  if (Protocol.get(protocol) === undefined) throw badRequestBody(`unknown protocol "${protocol}" (known: ${Protocol.names().join(', ')})`);
  const toxics = fields['toxics'];
  if (toxics !== undefined && toxics !== null && !Array.isArray(toxics)) throw badRequestBody(`toxics: expected an array of toxics, got ${typeof toxics}`);
  return {
    name: stringField(fields, 'name', `${goType}.name`, defaults.name),
    listen: stringField(fields, 'listen', `${goType}.listen`, defaults.listen),
    upstream: stringField(fields, 'upstream', `${goType}.upstream`, defaults.upstream),
    enabled: boolField(fields, 'enabled', `${goType}.enabled`, defaults.enabled),
    protocol,
    toxics: Array.isArray(toxics) ? (toxics as readonly unknown[]) : undefined,
  };
}

/** A new proxy's defaults: enabled, tcp, the rest empty (and then required). */
export const NEW_PROXY = { name: '', listen: '', upstream: '', enabled: true, protocol: 'tcp' } as const;
