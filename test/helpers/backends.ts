// Locating backend server binaries (redis-server, memcached, mariadbd, postgres…). A missing binary
// skips the test loudly on a workstation, and fails it in CI (CI=true): a backend that is not
// there must never count as a pass.
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

/** Debian's postgresql package keeps initdb, postgres and pgbench in /usr/lib/postgresql/<major>/bin, off the PATH. */
const POSTGRES_LIB = '/usr/lib/postgresql';

function postgresDirs(): string[] {
  try {
    const majors = readdirSync(POSTGRES_LIB).filter((name) => /^\d+$/.test(name));
    return majors.sort((a, b) => Number(b) - Number(a)).map((major) => join(POSTGRES_LIB, major, 'bin'));
  } catch {
    return [];
  }
}

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', ...postgresDirs()];

export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...EXTRA_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * The binary's path, or: in CI an error (the suite fails), elsewhere a loud skip (undefined).
 * @example const redis = requireBinary(t, 'redis-server'); if (!redis) return;
 */
export function requireBinary(t: TestContext, ...names: string[]): string | undefined {
  const found = findBinary(...names);
  if (found !== undefined) return found;
  const message = `backend binary not found: ${names.join(' or ')} (apt-get install it; .ci/run does)`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; CI=true, so this is a failure`);
  process.stderr.write(`\n*** SKIPPED: ${message} ***\n\n`);
  t.skip(message);
  return undefined;
}
