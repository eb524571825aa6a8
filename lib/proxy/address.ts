// HOST:PORT parsing for --proxy, --backend and the control API: IPv4, [IPv6], host names.
// Port 0 is for listening only: a backend address must name a real port.
import { UsageError } from '../cli/usage-error.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const BRACKETED = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/;
const PLAIN = /^([^:\s[\]]+):(\d+)$/;

export function parseHostPort(text: string, where: string): HostPort {
  const value = text.trim();
  const match = BRACKETED.exec(value) ?? PLAIN.exec(value);
  if (match === null) throw new UsageError(`${where}: expected HOST:PORT (e.g. localhost:8000 or [::1]:8000), got "${text}"`);
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`${where}: port must be 0-65535, got "${match[2]}"`);
  return { host: match[1] as string, port };
}

/** A backend's HOST:PORT: port 0 names no server (it means "any free port" only to listen on). */
export function parseBackendAddress(text: string, where: string): HostPort {
  const address = parseHostPort(text, where);
  if (address.port === 0) throw new UsageError(`${where}: port must be 1-65535, got "0"`);
  return address;
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
