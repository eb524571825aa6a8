// Which web pages may call the control API (SPEC 18): an Origin other than the API's own is
// refused (403) unless listed with --http-cors; on loopback, so is a Host naming another site
// (a DNS-rebinding page is same-origin with itself: only its Host gives it away).
import type { IncomingMessage } from 'node:http';
import { UsageError } from '../cli/usage-error.js';
import { ApiError } from './api-errors.js';

export type CorsHeaders = Readonly<Record<string, string>>;

export interface OriginPolicy {
  /** Throws ApiError 403 for a foreign Host or Origin (400: no Host in HTTP/1.1); else the CORS headers every answer carries. */
  check(request: IncomingMessage): CorsHeaders;
  /** The answer headers of a CORS preflight (OPTIONS from an allowed origin), or undefined. */
  preflight(request: IncomingMessage): CorsHeaders | undefined;
}

/** What a page may send once its origin is allowed: the API's methods and the headers it reads. */
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
};
const ORIGIN = /^https?:\/\/[^/?#\s@]+\/?$/i;
/** Header values quoted back in an error are cut: an answer never grows with what a client sent. */
const QUOTED_MAX = 100;

/**
 * `--http-cors` values: origins separated by commas or spaces (`http://localhost:3000`), `*` for
 * any origin, `null` for sandboxed pages and files. Normalized as browsers send them.
 */
export function parseCorsOrigins(value: string | readonly string[], where: string): string[] {
  const items = (typeof value === 'string' ? [value] : value).flatMap((item) => item.split(/[\s,]+/)).filter((item) => item !== '');
  return items.map((item) => {
    if (item === '*' || item === 'null') return item;
    if (!ORIGIN.test(item) || !URL.canParse(item)) throw new UsageError(`${where}: expected an origin such as http://localhost:3000, got "${item}"`);
    return new URL(item).origin;
  });
}

/**
 * @param listenHost the host the API was asked to listen on (`--http-host`)
 * @param boundAddress the address it listens on (`127.0.0.1`, `::1`, `0.0.0.0`)
 * @param allowed origins from `parseCorsOrigins`
 */
export function createOriginPolicy(listenHost: string, boundAddress: string, allowed: readonly string[]): OriginPolicy {
  const allowedOrigins = new Set(allowed);
  const anyOrigin = allowedOrigins.has('*');
  const hostNames = isLoopback(boundAddress) ? new Set(['localhost', '127.0.0.1', '[::1]', bracketed(listenHost), bracketed(boundAddress)]) : undefined;

  const check = (request: IncomingMessage): CorsHeaders => {
    const host = request.headers.host;
    if (host === undefined && request.httpVersion === '1.1') {
      throw new ApiError(400, [{ location: 'header', name: 'Host', description: 'missing Host header (HTTP/1.1 requires one)' }]);
    }
    // No Host at all (HTTP/1.0) is no browser (they always send one): nothing to rebind.
    if (hostNames !== undefined && host !== undefined && !hostNames.has(hostNameOf(host))) {
      throw forbidden('Host', `Host "${quoted(host)}" names another site; this API answers localhost, 127.0.0.1 and [::1] only (DNS rebinding)`);
    }
    const origin = request.headers.origin;
    if (origin === undefined) return {};
    if (host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`) return {}; // a page of the API itself
    if (anyOrigin || allowedOrigins.has(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
    throw forbidden('Origin', `requests from web pages of ${quoted(origin)} are refused (allow that origin with --http-cors ${quoted(origin)})`);
  };

  return {
    check,
    preflight(request) {
      if (request.method !== 'OPTIONS' || request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined) return undefined;
      return { 'Access-Control-Allow-Origin': request.headers.origin, Vary: 'Origin', ...PREFLIGHT_HEADERS };
    },
  };
}

function forbidden(header: string, description: string): ApiError {
  return new ApiError(403, [{ location: 'header', name: header, description }]);
}

/** `LocalHost:8080` → `localhost`, `[::1]:8080` → `[::1]`. */
function hostNameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

function bracketed(host: string): string {
  const lower = host.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function quoted(value: string): string {
  return value.length > QUOTED_MAX ? `${value.slice(0, QUOTED_MAX)}…` : value;
}
