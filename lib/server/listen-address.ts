// Toxiproxy's listen addresses: `host:port` as Go's net package reads it (`:0` and `` are every
// interface, `localhost` is 127.0.0.1, a host name its first IPv4 address), shown resolved
// (`127.0.0.1:41235`, `[::]:41235`), with Go's words when it cannot be read or bound.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostPort } from '../proxy/address.js';
import { internalError, ToxiproxyError } from './toxiproxy-error.js';

/** Splits `host:port` as Go's SplitHostPort does; the message is Go's (without its `listen tcp:` prefix). */
export function splitListen(listen: string): { readonly host: string; readonly port: number } {
  const fail = (why: string): never => {
    throw internalError(`address ${listen}: ${why}`);
  };
  let host: string;
  let portText: string;
  if (listen.startsWith('[')) {
    const close = listen.indexOf(']');
    if (close === -1) return fail("missing ']' in address");
    if (listen[close + 1] !== ':') return fail('missing port in address');
    host = listen.slice(1, close);
    portText = listen.slice(close + 2);
  } else {
    const colon = listen.lastIndexOf(':');
    if (colon === -1) return fail('missing port in address');
    host = listen.slice(0, colon);
    if (host.includes(':')) return fail('too many colons in address');
    portText = listen.slice(colon + 1);
  }
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return fail('invalid port');
  return { host, port };
}

/** The address a listen string resolves to (port 0 stays 0), or Toxiproxy's 500. */
export async function resolveListen(listen: string): Promise<HostPort> {
  const { host, port } = splitListen(listen === '' ? ':0' : listen);
  if (host === '') return { host: '::', port };
  if (host === 'localhost') return { host: '127.0.0.1', port };
  if (isIP(host) !== 0) return { host, port };
  try {
    const found = await lookup(host, { family: 4 }).catch(() => lookup(host));
    return { host: found.address, port };
  } catch {
    throw internalError(`lookup ${host}: no such host`);
  }
}

/** How Toxiproxy shows an address: `127.0.0.1:8474`, `[::1]:8474`. */
export function formatListen({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's `listen tcp …` error for a bind that failed (the proxy reports it as a usage error). */
export function bindError(address: HostPort, error: unknown): ToxiproxyError {
  const message = error instanceof Error ? error.message : String(error);
  const why = message.endsWith('address already in use')
    ? 'address already in use'
    : message.endsWith('permission denied')
      ? 'permission denied'
      : message.endsWith('no such local address')
        ? 'cannot assign requested address'
        : message;
  return internalError(`listen tcp ${formatListen(address)}: bind: ${why}`);
}

/** Toxiproxy prefixes an address it cannot read with `listen tcp: ` when it creates a proxy. */
export function asListenError(error: unknown): unknown {
  return error instanceof ToxiproxyError && error.message.startsWith('address ') ? internalError(`listen tcp: ${error.message}`) : error;
}
