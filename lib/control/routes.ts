// The control API's endpoints (SPEC section 5) as plain functions of the proxy: each takes the
// parsed request and returns the JSON answer, or throws ApiError. Every value a client sends is
// checked here, against the same option tables as the CLI, before the proxy sees it.
import { parseWeightedSpec } from '../choose/weighted-spec.js';
import { isUsageError } from '../cli/usage-error.js';
import type { BehaviorDefinition } from '../contract/behavior.js';
import { MAX_TIMER_SECONDS, type OptionSpec, type OptionTable, type OptionValues } from '../contract/options.js';
import { OptionsShapeError, shapeBehaviorOptions, type ShapedOptions } from '../options/behavior-options-shape.js';
import { parseOptionValue } from '../options/option-types.js';
import { formatHostPort, parseBackendAddress } from '../proxy/address.js';
import type { HostPort } from '../proxy/address.js';
import type { BehaviorSetting, RawOptions } from '../proxy/proxy.js';
import type { TlsSetting } from '../proxy/tls-options.js';
import type { EventStream } from '../events/event-stream.js';
import type { FaultFeed } from '../faults/fault-feed.js';
import { Behavior } from '../registry/behaviors.js';
import { VERSION } from '../version.js';
import { ApiError, badRequest } from './api-errors.js';
import type { BehaviorTimer } from './behavior-timer.js';
import type { ProxyMetrics } from './metrics.js';
import type { StatsSnapshot } from './stats.js';

/**
 * What the API drives: the proxy's live settings and counters. A `VaurienProxy` answers at once;
 * a cluster's primary (lib/cluster/) answers once its workers have (the promises).
 */
export interface ControlledProxy {
  getBehavior(): BehaviorSetting;
  /** Throws UsageError for a bad spec or option before anything changes. */
  setBehavior(spec: string, options?: Readonly<Record<string, RawOptions>>, where?: string): void | Promise<void>;
  getBackend(): HostPort;
  setBackend(backend: HostPort): void | Promise<void>;
  /** TLS toward clients and the backend, as settings (file paths or "set"), never key material. */
  getTls(): TlsSetting;
  stats(): StatsSnapshot | Promise<StatsSnapshot>;
  /** Its fault records, streamed by `GET /events`. */
  readonly faults?: FaultFeed;
  /** Its name (the listen address) and protocol, for `GET /proxy` (the dashboard). */
  describe?(): { readonly name: string; readonly protocol: string };
}

export interface RouteRequest {
  readonly url: URL;
  /** The request's Accept header: `text/event-stream` asks a route that can stream to do so. */
  readonly accept?: string | undefined;
  /** The parsed JSON body (read only for methods that take one). */
  readonly body: unknown;
}

/** A JSON answer, Prometheus text, or an event stream the request subscribes to. */
export type RouteAnswer =
  | { readonly json: unknown; readonly status?: number }
  | { readonly text: string; readonly contentType: string }
  | { readonly events: EventStream; readonly initial?: string };

export type RouteHandler = (request: RouteRequest) => RouteAnswer | Promise<RouteAnswer>;

export interface Route {
  readonly methods: Readonly<Record<string, RouteHandler>>;
  /** Methods whose body is read and parsed. */
  readonly withBody?: boolean;
}

const OK = { json: { status: 'ok' } } as const;

/** The routes of one proxy, by path. `/behaviors/NAME` is matched in `findRoute`. */
export function createRoutes(
  proxy: ControlledProxy,
  metrics: ProxyMetrics,
  onChange: (what: string) => void,
  timer: BehaviorTimer,
  events?: EventStream,
  live?: LiveState,
): ReadonlyMap<string, Route> {
  const setBehavior: RouteHandler = async ({ body }) => {
    const change = behaviorChange(body);
    await applyBehavior(timer, change);
    const spec = proxy.getBehavior().behavior;
    onChange(change.duration === undefined ? `behavior set to "${spec}"` : `behavior set to "${spec}" for ${change.duration}s`);
    return OK;
  };
  const setBackend: RouteHandler = async ({ body }) => {
    const backend = objectBody(body, '{"backend": "host:port"}')['backend'];
    if (typeof backend !== 'string') throw badRequest('body', 'backend', 'missing "backend": expected "host:port"');
    let parsed: HostPort;
    try {
      parsed = parseBackendAddress(backend, 'backend');
    } catch (error) {
      throw asBadRequest(error, 'backend');
    }
    await proxy.setBackend(parsed);
    onChange(`backend moved to ${formatHostPort(proxy.getBackend())}`);
    return OK;
  };
  return new Map<string, Route>([
    ['/behavior', { methods: { GET: () => ({ json: { ...proxy.getBehavior(), ...timer.state() } }), PUT: setBehavior, POST: setBehavior }, withBody: true }],
    // Everything the dashboard shows of the proxy but its counters, in one answer; asked with
    // `Accept: text/event-stream`, that and the counters as they change (lib/control/live-state.ts).
    [
      '/proxy',
      {
        methods: {
          GET: async ({ accept }) => {
            if (live !== undefined && accept?.includes('text/event-stream') === true) return { events: live.stream, initial: await live.current() };
            return { json: proxyState(proxy, timer) };
          },
        },
      },
    ],
    [
      '/behaviors',
      {
        methods: {
          GET: ({ url }) => ({
            json: { behaviors: wantsDetails(url) ? Behavior.all().map(describeBehavior) : Behavior.names() },
          }),
        },
      },
    ],
    ['/backend', { methods: { GET: () => ({ json: { backend: formatHostPort(proxy.getBackend()) } }), PUT: setBackend, POST: setBackend }, withBody: true }],
    ['/tls', { methods: { GET: () => ({ json: proxy.getTls() }) } }],
    ['/stats', { methods: { GET: async () => ({ json: await proxy.stats() }) } }],
    ['/metrics', { methods: { GET: async () => ({ text: await metrics.render(), contentType: metrics.contentType }) } }],
    ...(events === undefined ? [] : ([['/events', { methods: { GET: () => ({ events }) } }]] as const)),
  ]);
}

/** What `GET /proxy` answers: the proxy's name, protocol, backend and behavior setting. */
export function proxyState(proxy: ControlledProxy, timer: BehaviorTimer): Record<string, unknown> {
  return {
    ...(proxy.describe?.() ?? { name: 'proxy', protocol: '?' }),
    version: VERSION,
    backend: formatHostPort(proxy.getBackend()),
    ...proxy.getBehavior(),
    ...timer.state(),
  };
}

/** The live `GET /proxy` stream: its subscribers, and the state a new one starts from. */
export interface LiveState {
  readonly stream: EventStream;
  current(): Promise<string>;
}

/** The route of `path`; `/behaviors/NAME` describes one behavior (404 when unknown). */
export function findRoute(routes: ReadonlyMap<string, Route>, path: string): Route | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const route = routes.get(trimmed);
  if (route !== undefined) return route;
  const match = /^\/behaviors\/([^/]+)$/.exec(trimmed);
  if (match === null) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(match[1] as string);
  } catch {
    return undefined; // malformed %-escapes name no behavior: a 404, not a 500
  }
  const definition = Behavior.get(name);
  if (definition === undefined) {
    // The path is right, the name is not: say which name, as a 404 (not "no such endpoint").
    const unknown = `unknown behavior "${name}" (known: ${Behavior.names().join(', ')})`;
    return {
      methods: {
        GET: () => {
          throw new ApiError(404, [{ location: 'url', name: 'behavior', description: unknown }]);
        },
      },
    };
  }
  return { methods: { GET: () => ({ json: describeBehavior(definition) }) } };
}

/** A behavior as `GET /behaviors?details` shows it: enough for a client to build a form or flags. */
export function describeBehavior(definition: BehaviorDefinition): unknown {
  const options: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries(definition.options) as Array<[string, OptionSpec]>) {
    options[name] = {
      type: spec.type,
      default: spec.default,
      description: spec.description,
      ...(spec.min !== undefined ? { min: spec.min } : {}),
      ...(spec.max !== undefined ? { max: spec.max } : {}),
      ...(spec.choices !== undefined ? { choices: spec.choices } : {}),
    };
  }
  return { name: definition.name, description: definition.description, options };
}

function wantsDetails(url: URL): boolean {
  const value = url.searchParams.get('details');
  return value !== null && value !== 'false' && value !== '0';
}

interface BehaviorChange {
  readonly spec: string;
  readonly options: Record<string, RawOptions>;
  /** The body field the spec came from, for error answers. */
  readonly field: 'name' | 'behavior';
  /** Where the caller wrote an option, for error answers: `sleep`, `options.sleep`, `options.delay.sleep`. */
  readonly pathOf: (behavior: string, option: string) => string;
  /** Seconds it stays in force (SPEC 14); undefined: until changed. */
  readonly duration?: number | undefined;
}

/**
 * Reads both body forms: the original's `{"name": "delay", "sleep": 2}` (every other key is an
 * option of that behavior) and `{"behavior": SPEC, "options": {...}}`, whose options take the one
 * shape of lib/options/behavior-options-shape.ts: one behavior's flat or under its name, a
 * weighted set's under each name.
 */
function behaviorChange(body: unknown): BehaviorChange {
  const { duration: rawDuration, ...fields } = objectBody(body, '{"name": "delay", "sleep": 2}');
  const duration = durationOf(rawDuration);
  return duration === undefined ? settingOf(fields) : { ...settingOf(fields), duration };
}

/** `duration`: seconds, more than 0 (none given: undefined). No behavior has an option of that name: it is the change's. */
function durationOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_SECONDS) {
    throw badRequest('body', 'duration', `expected seconds, more than 0 and at most ${MAX_TIMER_SECONDS}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function settingOf(fields: Record<string, unknown>): BehaviorChange {
  if ('behavior' in fields) {
    if ('name' in fields) throw badRequest('body', 'name', 'give either "name" (one behavior) or "behavior" (a weighted set), not both');
    const spec = fields['behavior'];
    if (typeof spec !== 'string') throw badRequest('body', 'behavior', 'expected a string such as "20:delay,10:error"');
    for (const key of Object.keys(fields)) {
      if (key !== 'behavior' && key !== 'options') throw badRequest('body', key, 'unknown field (expected "behavior", "options" and "duration")');
    }
    const given = fields['options'] ?? {};
    if (!isPlainObject(given)) throw badRequest('body', 'options', 'expected an object: {"sleep": 2} for one behavior, {"delay": {"sleep": 2}} per behavior of a set');
    let shaped: ShapedOptions;
    try {
      shaped = shapeBehaviorOptions(spec, parseSpec(spec, 'behavior'), given, optionsOf);
    } catch (error) {
      if (error instanceof OptionsShapeError) throw badRequest('body', `options.${error.key}`, error.message);
      throw error;
    }
    const pathOf = shaped.flat ? (_: string, option: string) => `options.${option}` : (behavior: string, option: string) => `options.${behavior}.${option}`;
    return { spec, options: shaped.options, field: 'behavior', pathOf };
  }
  const { name, ...flat } = fields;
  if (name === undefined) throw badRequest('body', 'name', 'missing "name": the behavior to use, e.g. {"name": "delay", "sleep": 2}');
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('body', 'name', 'expected a behavior name such as "delay"');
  const pathOf = (_: string, option: string): string => option;
  if (Object.keys(flat).length === 0) return { spec: name, options: {}, field: 'name', pathOf };
  // Flat options belong to the one behavior named (a set with one entry, e.g. "50:delay", too).
  const entries = parseSpec(name, 'name');
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only === undefined) {
    throw badRequest('body', 'name', 'options of a weighted set go in {"behavior": "...", "options": {"NAME": {...}}}');
  }
  return { spec: name, options: { [only]: flat }, field: 'name', pathOf };
}

function optionsOf(behavior: string): OptionTable | undefined {
  return Behavior.get(behavior)?.options as OptionTable | undefined;
}

/** Checks names and every option value with a precise error, then hands the set to the proxy (through its timer). */
async function applyBehavior(timer: BehaviorTimer, { spec, options, field, pathOf, duration }: BehaviorChange): Promise<void> {
  const names = parseSpec(spec, field);
  for (const name of names) {
    if (Behavior.get(name) === undefined) {
      throw badRequest('body', field, `unknown behavior "${name}" (known: ${Behavior.names().join(', ')})`);
    }
  }
  const checked: Record<string, OptionValues> = {};
  for (const [behavior, values] of Object.entries(options)) {
    if (!names.includes(behavior)) throw badRequest('body', `options.${behavior}`, `"${behavior}" is not in "${spec}"`);
    const table = (Behavior.get(behavior) as BehaviorDefinition).options as Readonly<Record<string, OptionSpec | undefined>>;
    const parsed: Record<string, OptionValues[string]> = {};
    for (const [option, raw] of Object.entries(values)) {
      const where = pathOf(behavior, option);
      const optionSpec = Object.hasOwn(table, option) ? table[option] : undefined; // not `constructor`, `__proto__`…
      if (optionSpec === undefined) {
        const known = Object.keys(table);
        throw badRequest('body', where, `${behavior} has no option "${option}" (${known.length > 0 ? `known: ${known.join(', ')}` : 'it takes none'})`);
      }
      try {
        parsed[option] = parseOptionValue(optionSpec, raw, `${behavior}.${option}`);
      } catch (error) {
        throw asBadRequest(error, where);
      }
    }
    checked[behavior] = parsed;
  }
  try {
    await timer.set(spec, checked, field, duration);
  } catch (error) {
    throw asBadRequest(error, field);
  }
}

function parseSpec(spec: string, field: string): string[] {
  try {
    return parseWeightedSpec(spec, field).map((entry) => entry.name);
  } catch (error) {
    throw asBadRequest(error, field);
  }
}

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === undefined) throw badRequest('body', 'body', `empty body: expected a JSON object such as ${example}`);
  if (!isPlainObject(body)) throw badRequest('body', 'body', `expected a JSON object such as ${example}`);
  return body;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A user mistake found by the engine (UsageError) becomes a 400; anything else is a bug. */
function asBadRequest(error: unknown, field: string): unknown {
  if (error instanceof ApiError || !isUsageError(error)) return error;
  return badRequest('body', field, error.message);
}
