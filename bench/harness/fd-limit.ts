// Raises this process's open-file limit before any child starts (children inherit it), so the
// 10 000- and 15 000-connection scenarios can run. Returns the limit in force afterwards.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const WANTED = 65_536;

function softLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((row) => row.startsWith('Max open files'));
  const soft = line?.split(/\s+/)[3];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

export function raiseFdLimit(): { limit: number; raised: boolean; problem?: string } {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${WANTED}:${WANTED}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const message = stderr !== undefined && stderr !== '' ? stderr : error instanceof Error ? error.message : String(error);
    return { limit: softLimit(), raised: false, problem: message };
  }
  const limit = softLimit();
  return limit >= WANTED ? { limit, raised: true } : { limit, raised: false, problem: `prlimit left the limit at ${limit}` };
}

/**
 * The most connections one scenario may hold open: a proxy holds two descriptors per
 * connection (client and backend side), plus a margin for everything else.
 */
export function connectionCap(limit: number): number {
  return Math.max(100, Math.floor((limit - 512) / 2));
}
