// The HTTP side of a `vaurien server`: Toxiproxy's transport habits (text/plain errors, a bare
// 404, an empty 405, 403 for browsers but the dashboard's), the dashboard's files, the control
// API's body limits and timeouts, a token. Every request is answered; none can take the server down.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError } from '../control/api-errors.js';
import { bearerCheck } from '../control/bearer-token.js';
import { isDashboardPath, serveDashboardFile } from '../control/dashboard-files.js';
import { lingerAfterAnswer } from '../control/refused-body.js';
import { BODY_LIMIT_BYTES, readJsonBody } from '../control/request-body.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { BrowserGate } from './browser-gate.js';
import { findRoute, type Answer, type createRoutes } from './routes.js';
import { badRequestBody, ToxiproxyError } from './toxiproxy-error.js';

export interface HttpServerOptions {
  readonly routes: ReturnType<typeof createRoutes>;
  readonly token: string | undefined;
  readonly log: Logger;
  /** The host it was asked to listen on (the dashboard's Host check on loopback). */
  readonly host: string;
}

const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_CONNECTIONS = 1024;

export function createHttpServer(options: HttpServerOptions): Server {
  const { routes, log } = options;
  const authorize = bearerCheck(options.token);
  const gate = new BrowserGate(options.host, () => {
    const bound = server.address();
    return bound !== null && typeof bound === 'object' ? bound.address : options.host;
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    response.setHeader('X-Toxiproxy-Request-Id', randomBytes(10).toString('hex'));
    response.setHeader('X-Vaurien-Version', VERSION);
    try {
      gate.checkPage(request);
    } catch (error) {
      if (!(error instanceof ToxiproxyError)) throw error;
      return sendError(response, error);
    }
    const url = new URL(URL.canParse(request.url ?? '/', 'http://server') ? (request.url ?? '/') : '/', 'http://server');
    // The dashboard's files hold no data and need no token: the page must load to ask for it.
    if (isDashboardPath(url.pathname)) {
      const served = serveDashboardFile(response, method, url.pathname);
      if (served === 'bad-method') return sendText(response, 405, '');
      if (served === 'not-found') return sendText(response, 404, '404 page not found\n');
      return;
    }
    try {
      authorize(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      response.setHeader('WWW-Authenticate', 'Bearer realm="vaurien"');
      return sendError(response, new ToxiproxyError(error.message, 401));
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = '';
    }
    const found = findRoute(routes, method, path);
    if (found === undefined) return sendText(response, 404, '404 page not found\n');
    if (found === 405) return sendText(response, 405, '');
    // Toxiproxy keeps browsers out of its API (a web page could drive it otherwise).
    if (gate.refusesApi(request)) return sendText(response, 403, 'User agent not allowed\n');
    const body = method === 'GET' || method === 'DELETE' ? unread : await readBody(request);
    try {
      send(request, response, await found.handler({ params: found.params, query: url.searchParams, accept: request.headers.accept, body }));
    } catch (error) {
      if (!(error instanceof ToxiproxyError)) throw error;
      log.debug(`server API: ${method} ${path} -> ${error.status} ${error.message}`);
      sendError(response, error);
    }
  }

  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log.error(`server API: ${request.method} ${request.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) sendError(response, new ToxiproxyError('internal error', 500));
      else response.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5_000;
  return server;
}

const unread = (): unknown => undefined;

/** Reads the body now (bounded, as the control API does); its JSON errors surface when a route asks for it. */
async function readBody(request: IncomingMessage): Promise<() => unknown> {
  try {
    const value = await readJsonBody(request, BODY_LIMIT_BYTES);
    return () => value;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const length = Number(request.headers['content-length'] ?? NaN);
    const refused = error.status === 413 ? new ToxiproxyError(`request body over ${BODY_LIMIT_BYTES} bytes`, 413) : badRequestBody(goParseError(error.message, length));
    return () => {
      throw refused;
    };
  }
}

/** Go's words for a body that ends too soon (`unexpected EOF`); where it went wrong otherwise. */
function goParseError(message: string, length: number): string {
  const position = /at character (\d+)/.exec(message)?.[1];
  if (position !== undefined && Number(position) >= length) return 'unexpected EOF';
  return message;
}

function send(request: IncomingMessage, response: ServerResponse, answer: Answer): void {
  if ('events' in answer) {
    answer.events.serve(request, response, {}, answer.initial);
  } else if ('json' in answer) {
    const text = JSON.stringify(answer.json);
    response.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  } else if ('text' in answer) {
    response.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.text) });
    response.end(answer.text);
  } else {
    response.writeHead(answer.status);
    response.end();
  }
}

/** Toxiproxy writes its errors with Go's http.Error: text/plain, nosniff, the JSON and a newline. */
function sendError(response: ServerResponse, error: ToxiproxyError): void {
  const text = `${JSON.stringify(error.body)}\n`;
  // An oversized body is left unread: its connection closes once the answer is out (lingering).
  const close = error.status === 413 ? { Connection: 'close' } : {};
  if (error.status === 413) lingerAfterAnswer(response);
  response.writeHead(error.status, { ...close, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  if (text === '') {
    response.writeHead(status, { 'Content-Length': 0 });
    response.end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
