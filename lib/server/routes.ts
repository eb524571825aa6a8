// Toxiproxy 2.12's REST API, path for path, with its statuses, JSON field order and error words;
// and vaurien's additions (`/events`, `/behaviors`, `/proxies` as a live stream). The transport
// (bodies, tokens, user agents, error shapes) is http-server.ts's job.
import { describeBehavior } from '../control/routes.js';
import type { EventStream } from '../events/event-stream.js';
import type { LiveSnapshots } from '../events/live-snapshots.js';
import { Behavior } from '../registry/behaviors.js';
import type { PopulateResult, ProxyRegistry } from './proxy-registry.js';
import type { ServerProxy } from './server-proxy.js';
import { ToxiproxyError } from './toxiproxy-error.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';

/** What a route answers: JSON (compact, as Go writes it), text, an event stream the request subscribes to, or nothing. */
export type Answer =
  | { readonly status: number; readonly json: unknown; readonly contentType?: string }
  | { readonly status: number; readonly text: string; readonly contentType: string }
  | { readonly status: number; readonly events: EventStream; readonly initial?: string }
  | { readonly status: number };

/** The streams vaurien adds to Toxiproxy's API. */
export interface ServerStreams {
  /** `GET /events`: every proxy's fault records. */
  readonly events: EventStream;
  /** `GET /proxies` with `Accept: text/event-stream`: the proxies and their counters as they change. */
  readonly live: LiveSnapshots;
}

/** The request as a route sees it: its path parameters and its body, parsed when asked (a 404 comes before a bad body). */
export interface RouteRequest {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The Accept header: `text/event-stream` asks a route that can stream to do so. */
  readonly accept: string | undefined;
  body(): unknown;
}

export type Handler = (request: RouteRequest) => Answer | Promise<Answer>;

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

export const TOXIPROXY_VERSION = '2.12.0';

export function createRoutes(registry: ProxyRegistry, streams: ServerStreams): readonly Route[] {
  const proxyJson = (name: string): Answer => ({ status: 200, json: registry.get(name).json() });
  return [
    { pattern: /^\/version$/, methods: { GET: () => ({ status: 200, text: `{"version": "${TOXIPROXY_VERSION}"}\n`, contentType: 'application/json;charset=utf-8' }) } },
    { pattern: /^\/reset$/, methods: { POST: async () => (await registry.reset(), { status: 204 }) } },
    {
      pattern: /^\/proxies$/,
      methods: {
        // Go writes a map with its keys sorted. Asked as events (the dashboard): the live state.
        GET: async ({ accept }) => {
          if (accept?.includes('text/event-stream') === true) return { status: 200, events: streams.live.stream, initial: await streams.live.current() };
          return { status: 200, json: Object.fromEntries(sortedByName(registry.all()).map((proxy) => [proxy.name, proxy.json()])) };
        },
        POST: async ({ body }) => ({ status: 201, json: (await registry.create(body())).json() }),
      },
    },
    {
      pattern: /^\/populate$/,
      methods: {
        POST: async ({ body }) => {
          let populated: PopulateResult;
          try {
            populated = await registry.populate(body());
          } catch (error) {
            // Its own errors carry `proxies` too, and go out as JSON (not through http.Error).
            if (error instanceof ToxiproxyError) return { status: error.status, json: { ...error.body, proxies: null } };
            throw error;
          }
          const { proxies, error } = populated;
          // Toxiproxy answers `null` for no proxies, and puts the error beside them.
          const list = proxies.length === 0 ? null : proxies.map((proxy) => proxy.json());
          return error === undefined ? { status: 201, json: { proxies: list } } : { status: error.status, json: { ...error.body, proxies: list } };
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)$/,
      methods: {
        GET: ({ params }) => proxyJson(params[0] as string),
        POST: async ({ params, body }) => ({ status: 200, json: (await registry.update(params[0] as string, body())).json() }),
        PATCH: async ({ params, body }) => ({ status: 200, json: (await registry.update(params[0] as string, body())).json() }),
        DELETE: async ({ params }) => (await registry.remove(params[0] as string), { status: 204 }),
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics$/,
      methods: {
        GET: ({ params }) => {
          const proxy = registry.get(params[0] as string);
          return { status: 200, json: proxy.listToxics().map((toxic) => proxy.toxicJson(toxic)) };
        },
        // 200, not 201: Toxiproxy's answer to a new toxic.
        POST: ({ params, body }) => {
          const proxy = registry.get(params[0] as string);
          return { status: 200, json: proxy.toxicJson(proxy.addToxic(body())) };
        },
      },
    },
    {
      pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      methods: {
        GET: ({ params }) => {
          const proxy = registry.get(params[0] as string);
          return { status: 200, json: proxy.toxicJson(proxy.toxic(params[1] as string)) };
        },
        POST: ({ params, body }) => updateToxic(registry, params, body),
        PATCH: ({ params, body }) => updateToxic(registry, params, body),
        DELETE: ({ params }) => {
          registry.get(params[0] as string).removeToxic(params[1] as string);
          return { status: 204 };
        },
      },
    },
    { pattern: /^\/metrics$/, methods: { GET: () => ({ status: 200, text: renderMetrics(registry.all()), contentType: METRICS_CONTENT_TYPE }) } },
    // vaurien's: the fault log as Server-Sent Events (SPEC 13), and the toxic types (every
    // behavior) with their attributes, as the control API lists them (`?details`).
    { pattern: /^\/events$/, methods: { GET: () => ({ status: 200, events: streams.events }) } },
    {
      pattern: /^\/behaviors$/,
      methods: {
        GET: ({ query }) => {
          const details = query.get('details');
          return { status: 200, json: { behaviors: details !== null && details !== 'false' && details !== '0' ? Behavior.all().map(describeBehavior) : Behavior.names() } };
        },
      },
    },
  ];
}

function sortedByName(proxies: readonly ServerProxy[]): readonly ServerProxy[] {
  return [...proxies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function updateToxic(registry: ProxyRegistry, params: readonly string[], body: () => unknown): Answer {
  const proxy = registry.get(params[0] as string);
  return { status: 200, json: proxy.toxicJson(proxy.updateToxic(params[1] as string, body())) };
}

/** The route of `method path`: its handler and parameters, `405` when the path exists but not the method, undefined for a 404. */
export function findRoute(routes: readonly Route[], method: string, path: string): { readonly handler: Handler; readonly params: readonly string[] } | 405 | undefined {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const handler = route.methods[method];
    return handler === undefined ? 405 : { handler, params: match.slice(1) };
  }
  return undefined;
}
