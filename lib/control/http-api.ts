// The control API server (SPEC 5 and 18): JSON over HTTP to steer the proxy, sharing its event
// loop but never holding it (linear parsing, bounded bodies, slow clients cut and evicted). All
// the headers can refuse (Host, Origin, token, type, size) is refused before any body is read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UsageError } from '../cli/usage-error.js';
import type { Logger } from '../log.js';
import { formatHostPort, type HostPort } from '../proxy/address.js';
import { ApiError } from './api-errors.js';
import { BehaviorTimer } from './behavior-timer.js';
import { isDashboardPath, serveDashboardFile } from './dashboard-files.js';
import { liveState } from './live-state.js';
import { bearerCheck } from './bearer-token.js';
import { answerClientError, refuseConnect } from './client-error.js';
import type { EventStreamOptions } from '../events/event-stream.js';
import { faultEvents } from '../events/fault-events.js';
import { ConnectionGuard } from './connection-guard.js';
import { createProxyMetrics, type ProxyMetrics } from './metrics.js';
import { createOriginPolicy, parseCorsOrigins, type CorsHeaders, type OriginPolicy } from './origin-policy.js';
import { lingerAfterAnswer } from './refused-body.js';
import { checkBodyHeaders, readJsonBody } from './request-body.js';
import { createRoutes, findRoute, type ControlledProxy, type Route, type RouteAnswer, type RouteHandler } from './routes.js';

export interface ControlApiOptions {
  readonly host: string;
  /** 0 picks a free port (read it on `address`). */
  readonly port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /**
   * Web origins whose pages may call the API (`--http-cors`), e.g. `['http://localhost:3000']`;
   * `'*'` allows any. Requests from any other page's origin are refused (403).
   */
  readonly cors?: readonly string[];
  readonly log: Logger;
  /** Time a client has to send its request headers (default 5 s): slowloris protection. */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send its whole request (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Limits of `GET /events` (subscribers, backlog, replay). */
  readonly events?: EventStreamOptions;
}

export interface ControlApi {
  /** Where the API listens (the real port when 0 was asked). */
  readonly address: HostPort;
  /** The Prometheus registry behind `GET /metrics`, to merge into an app's own. */
  readonly metrics: ProxyMetrics;
  close(): Promise<void>;
}

/** Time a client has to send its request headers, and its whole request (slowloris). */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_CONNECTIONS = 256;

/** Starts the control API of `proxy` and resolves once it listens. */
export async function startControlApi(proxy: ControlledProxy, options: ControlApiOptions): Promise<ControlApi> {
  const { log } = options;
  const allowedOrigins = parseCorsOrigins(options.cors ?? [], 'cors');
  const metrics = createProxyMetrics(() => proxy.stats());
  const events = proxy.faults === undefined ? undefined : faultEvents(proxy.faults, options.events);
  const timer = new BehaviorTimer(proxy, log);
  const live = liveState(proxy, timer, options.events);
  const routes = createRoutes(proxy, metrics, (change) => log.info(`control API: ${change}`), timer, events, live);
  const authorize = bearerCheck(options.token);
  const guard = new ConnectionGuard(MAX_CONNECTIONS);
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = createServer({
    headersTimeout,
    requestTimeout: Math.max(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, headersTimeout),
    // How often expired requests are looked for (Node's default, 30 s, would let them linger).
    connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)),
    // Node would answer a missing Host with an empty 400; origin-policy.ts answers it in JSON.
    requireHostHeader: false,
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // The cap is the guard's: Node's own (maxConnections) would refuse the newest connection.
  server.on('connection', (socket) => guard.admit(socket));
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);

  async function handle(request: IncomingMessage, response: ServerResponse, origins: OriginPolicy, expectsContinue: boolean): Promise<void> {
    const method = request.method ?? 'GET';
    log.debug(`control API: ${method} ${pathOf(request)}`);
    let cors: CorsHeaders = {};
    let awaitingContinue = expectsContinue;
    try {
      cors = origins.check(request);
      const preflight = origins.preflight(request);
      if (preflight !== undefined) return void answerEmpty(response, preflight);
      // The dashboard's files hold no data: a browser must load the page to be asked the token.
      // Every request the page makes for data carries it like any other client's.
      if (isDashboardPath(request.url ?? '/')) return void serveDashboard(request, response, method, cors);
      authorize(request.headers.authorization);
      const url = requestUrl(request.url ?? '/');
      const route = findRoute(routes, url.pathname);
      if (route === undefined) throw new ApiError(404, [{ location: 'url', name: 'path', description: `no such endpoint: ${url.pathname}` }]);
      const handler = handlerOf(route, method);
      if (handler === undefined) {
        const allowed = allowedMethods(route).join(', ');
        throw new ApiError(405, [{ location: 'method', name: method, description: `${url.pathname} accepts ${allowed}` }], { Allow: allowed });
      }
      const takesBody = route.withBody === true && method !== 'GET' && method !== 'HEAD';
      if (takesBody) checkBodyHeaders(request);
      // Only now, with every header-level check passed, is an `Expect: 100-continue` client told to send.
      if (awaitingContinue && takesBody) {
        response.writeContinue();
        awaitingContinue = false;
      }
      const body = takesBody ? await readJsonBody(request) : undefined;
      answer(request, response, await handler({ url, body, accept: request.headers.accept }), cors);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      log.debug(`control API: ${method} ${pathOf(request)} -> ${error.status} ${error.message}`);
      refuse(request, response, error, cors, awaitingContinue);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    const where = `--http-host/--http-port ${formatHostPort({ host: options.host, port: options.port })}`;
    if (error.code === 'EADDRINUSE') throw new ApiListenError(`${where}: address already in use`);
    if (error.code === 'EACCES') throw new ApiListenError(`${where}: permission denied`);
    if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') throw new ApiListenError(`${where}: no such local address`);
    throw error;
  });
  server.on('error', (error) => log.error(`control API socket: ${error.message}`));
  const bound = server.address();
  const address: HostPort = bound !== null && typeof bound === 'object' ? { host: bound.address, port: bound.port } : { host: options.host, port: options.port };
  // Requests are served from here on: which Host names are this API's depends on the bound address.
  // (No connection is read before the listen callback has run, so none is missed.)
  const origins = createOriginPolicy(options.host, address.host, allowedOrigins);
  const serve = (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean): void => {
    guard.requestStarted(request.socket);
    response.once('close', () => guard.requestFinished(request.socket));
    void handle(request, response, origins, expectsContinue).catch((error: unknown) => {
      log.error(`control API: ${request.method} ${pathOf(request)}: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) send(response, 500, { status: 'error', errors: [{ location: 'server', name: 'internal', description: 'internal error' }] });
      else response.destroy();
    });
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => serve(request, response, false));
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => serve(request, response, true));
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const expectation = new ApiError(417, [{ location: 'header', name: 'Expect', description: 'only "100-continue" is understood' }]);
    refuse(request, response, expectation, {}, true);
  });

  return {
    address,
    metrics,
    close: () => {
      timer.cancel();
      events?.close();
      live.close();
      return closeServer(server);
    },
  };
}

/**
 * The request target as a URL. A path is read as a path: resolved against a base, `//evil/x`
 * and `/\\` would name a host (or none, which throws). An absolute URL (`http://host/path`) is
 * taken as it is; anything else is a 400.
 */
function requestUrl(target: string): URL {
  const text = target.startsWith('/') ? `http://control${target}` : target;
  if (!URL.canParse(text)) throw new ApiError(400, [{ location: 'url', name: 'path', description: 'malformed request target' }]);
  return new URL(text);
}

/** The handler of `method`; HEAD is GET without the body (Node's response drops it). */
function handlerOf(route: Route, method: string): RouteHandler | undefined {
  if (Object.hasOwn(route.methods, method)) return route.methods[method];
  return method === 'HEAD' && Object.hasOwn(route.methods, 'GET') ? route.methods['GET'] : undefined;
}

function allowedMethods(route: Route): string[] {
  return Object.keys(route.methods).flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method]));
}

/** GET (or HEAD) of a dashboard file, or the control API's 404 or 405. */
function serveDashboard(request: IncomingMessage, response: ServerResponse, method: string, cors: CorsHeaders): void {
  const path = (request.url ?? '/').split('?', 1)[0] as string;
  const served = serveDashboardFile(response, method, path, cors);
  if (served === 'bad-method') throw new ApiError(405, [{ location: 'method', name: method, description: '/ui/ accepts GET, HEAD' }], { Allow: 'GET, HEAD' });
  if (served === 'not-found') throw new ApiError(404, [{ location: 'url', name: 'path', description: `no such dashboard file: ${path.slice(0, 100)}` }]);
}

/** The request's path for the log, without its query string: a token put there by mistake stays out of the log. */
function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : `${url.slice(0, query)}?…`;
}

/** The API could not listen: a user mistake (exit 2), like the proxy's own listen errors. */
export class ApiListenError extends UsageError {}

/**
 * Sends an error answer. An oversized body is left unread and its connection closed (lingering,
 * so the client reads the answer), as is the
 * connection of a client still waiting for `100 Continue` (it may or may not send its body now);
 * any other unread body is discarded as it arrives (never stored), so the connection can be reused.
 */
function refuse(request: IncomingMessage, response: ServerResponse, error: ApiError, cors: CorsHeaders, awaitingContinue: boolean): void {
  const close = error.status === 413 || awaitingContinue;
  if (error.status === 413) lingerAfterAnswer(response);
  send(response, error.status, error.body, { ...cors, ...error.headers, ...(close ? { Connection: 'close' } : {}) });
  if (close) response.once('finish', () => request.socket.destroySoon());
  else if (!request.readableEnded) request.resume();
}

function answer(request: IncomingMessage, response: ServerResponse, result: RouteAnswer, cors: CorsHeaders): void {
  if ('events' in result) return result.events.serve(request, response, cors, result.initial);
  if ('text' in result) {
    response.writeHead(200, { ...cors, 'Content-Type': result.contentType, 'Content-Length': Buffer.byteLength(result.text) });
    response.end(result.text);
    return;
  }
  send(response, result.status ?? 200, result.json, cors);
}

/** A 204: no body, and so no Content-Length either. */
function answerEmpty(response: ServerResponse, headers: CorsHeaders): void {
  response.writeHead(204, headers);
  response.end();
}

function send(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // An in-flight request gets a moment to finish; then everything goes.
  const timer = setTimeout(() => server.closeAllConnections(), 1000);
  await closed;
  clearTimeout(timer);
}
