// HOST:PORT parsing for --proxy, --backend and the control API: IPv4, [IPv6], host names.
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

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
