// The control API server (SPEC section 5): JSON over HTTP on --http-host:--http-port, to read and
// change the proxy's behavior and backend and read its counters. It shares the proxy's event
// loop but never holds it: handlers are synchronous past the (bounded) body read, and slow or
// oversized requests are cut by timeouts and limits. With a token, nothing is served without it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UsageError } from '../cli/usage-error.js';
import type { Logger } from '../log.js';
import { formatHostPort, type HostPort } from '../proxy/address.js';
import { ApiError } from './api-errors.js';
import { createProxyMetrics, type ProxyMetrics } from './metrics.js';
import { BODY_LIMIT_BYTES, readJsonBody, tooLarge } from './request-body.js';
import { createRoutes, findRoute, type ControlledProxy, type RouteAnswer } from './routes.js';

export interface ControlApiOptions {
  readonly host: string;
  /** 0 picks a free port (read it on `address`). */
  readonly port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly log: Logger;
  /** Time a client has to send its request headers (default 10 s): slowloris protection. */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send its whole request (default 30 s). */
  readonly requestTimeoutMs?: number;
}

export interface ControlApi {
  /** Where the API listens (the real port when 0 was asked). */
  readonly address: HostPort;
  /** The Prometheus registry behind `GET /metrics`, to merge into an app's own. */
  readonly metrics: ProxyMetrics;
  close(): Promise<void>;
}

/** Time a client has to send its request headers, and its whole request (slowloris). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_CONNECTIONS = 256;

/** Starts the control API of `proxy` and resolves once it listens. */
export async function startControlApi(proxy: ControlledProxy, options: ControlApiOptions): Promise<ControlApi> {
  const { log } = options;
  const metrics = createProxyMetrics(() => proxy.stats());
  const routes = createRoutes(proxy, metrics, (change) => log.info(`control API: ${change}`));
  const authorized = options.token === undefined || options.token === '' ? () => true : bearerCheck(options.token);

  const dispatch = (request: IncomingMessage, response: ServerResponse): void => {
    void handle(request, response).catch((error: unknown) => {
      log.error(`control API: ${request.method} ${pathOf(request)}: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) send(response, 500, { status: 'error', errors: [{ location: 'server', name: 'internal', description: 'internal error' }] });
      else response.destroy();
    });
  };
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, headersTimeout),
      // How often expired requests are looked for (Node's default, 30 s, would let them linger).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)),
    },
    dispatch,
  );
  // `Expect: 100-continue`: an oversized body is refused before the client sends it.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (Number(request.headers['content-length'] ?? 0) > BODY_LIMIT_BYTES) refuse(request, response, tooLarge(BODY_LIMIT_BYTES));
    else {
      response.writeContinue();
      dispatch(request, response);
    }
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    log.debug(`control API: ${method} ${pathOf(request)}`);
    try {
      if (!authorized(request.headers.authorization)) {
        throw new ApiError(401, [{ location: 'header', name: 'Authorization', description: 'missing or wrong bearer token' }], {
          'WWW-Authenticate': 'Bearer realm="vaurien"',
        });
      }
      const url = new URL(request.url ?? '/', 'http://control');
      const route = findRoute(routes, url.pathname);
      if (route === undefined) throw new ApiError(404, [{ location: 'url', name: 'path', description: `no such endpoint: ${url.pathname}` }]);
      const handler = route.methods[method];
      if (handler === undefined) {
        const allowed = Object.keys(route.methods).join(', ');
        throw new ApiError(405, [{ location: 'method', name: method, description: `${url.pathname} accepts ${allowed}` }], { Allow: allowed });
      }
      const body = route.withBody === true && method !== 'GET' ? await readJsonBody(request) : undefined;
      answer(response, await handler({ url, body }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      log.debug(`control API: ${method} ${pathOf(request)} -> ${error.status} ${error.message}`);
      refuse(request, response, error);
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

  return {
    address,
    metrics,
    close: () => closeServer(server),
  };
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
 * Sends an error answer. An oversized body is left unread and its connection closed; any other
 * unread body is discarded as it arrives (never stored), so the connection can be reused.
 */
function refuse(request: IncomingMessage, response: ServerResponse, error: ApiError): void {
  const close = error.status === 413;
  send(response, error.status, error.body, { ...error.headers, ...(close ? { Connection: 'close' } : {}) });
  if (close) response.once('finish', () => request.socket.destroySoon());
  else if (!request.readableEnded) request.resume();
}

function answer(response: ServerResponse, result: RouteAnswer): void {
  if ('text' in result) {
    response.writeHead(200, { 'Content-Type': result.contentType, 'Content-Length': Buffer.byteLength(result.text) });
    response.end(result.text);
    return;
  }
  send(response, result.status ?? 200, result.json);
}

function send(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * Compares the presented bearer token with the expected one in constant time: both are hashed
 * first, so neither the content nor the length of the token leaks through timing.
 */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    return timingSafeEqual(presented, expected) && match !== null;
  };
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
