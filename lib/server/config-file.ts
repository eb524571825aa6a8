// `--config FILE`: Toxiproxy's JSON array of proxies, read at start-up; an entry may also carry
// `toxics` (faults declared at start-up). A file that cannot be read or parsed is a usage error.
import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/usage-error.js';

export function readServerConfig(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`--config ${path}: not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`--config ${path}: expected a JSON array of proxies, as toxiproxy-server -config reads`);
  return parsed;
}
