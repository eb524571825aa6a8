// What a process holds, read from /proc (Linux): resident memory and open file descriptors.
// Reliability tests read them from a proxy running as a child, so the test's own allocations
// never blur the figure.
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  return Number(match[1]) * 1024;
}

/** How many file descriptors `pid` has open (entries of /proc/<pid>/fd). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Samples `pid`'s RSS every `everyMs` until stopped; `peak` is the highest seen. */
export function watchRss(pid: number, everyMs = 50): { readonly peak: () => number; stop(): number } {
  let peak = rssBytes(pid);
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process ended: keep the last peak
    }
  };
  // unref: a test that fails before stop() must not keep its file's process alive.
  const timer = setInterval(sample, everyMs).unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Polls `read` until it returns a value `accept`s, or `timeoutMs` passes; returns the last value. */
export async function settle<T>(read: () => T, accept: (value: T) => boolean, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let value = read();
  while (!accept(value) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = read();
  }
  return value;
}

/** Polls `read` until its value has not changed for `quietMs` (or `timeoutMs` passes), and returns it. */
export async function steady<T>(read: () => T, quietMs = 500, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let value = read();
  let since = performance.now();
  while (performance.now() - since < quietMs && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = read();
    if (now !== value) {
      value = now;
      since = performance.now();
    }
  }
  return value;
}

export const MiB = 1024 * 1024;

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Minor page faults `pid` has taken so far, all its threads (minflt of /proc/<pid>/stat). */
export function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (in parentheses, which may hold spaces): minflt is the 8th.
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[7]);
}

/** The [start, end) addresses of a line of /proc/<pid>/maps. */
function addresses(line: string): [number, number] {
  const dash = line.indexOf('-');
  return [Number.parseInt(line.slice(0, dash), 16), Number.parseInt(line.slice(dash + 1, line.indexOf(' ')), 16)];
}

/** Where the `[heap]` mapping of `pid` (or of this process) ends, and where the mapping after it starts. */
function heapMapping(pid: number | 'self'): { readonly end: number; readonly nextStart: number } | undefined {
  const lines = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  const at = lines.findIndex((entry) => entry.endsWith('[heap]'));
  if (at === -1) return undefined;
  const next = lines[at + 1] ?? '';
  return { end: addresses(lines[at] as string)[1], nextStart: next === '' ? Number.POSITIVE_INFINITY : addresses(next)[0] };
}

/** Where the malloc heap of `pid` (or of this process) ends now (the `[heap]` mapping), 0 when it has none. */
export function heapEnd(pid: number | 'self'): number {
  return heapMapping(pid)?.end ?? 0;
}

/**
 * How far the malloc heap can grow in place: bytes from its end to the next mapping, 0 when it
 * has none. V8 maps its reservations at random addresses; one right above the heap leaves glibc
 * to take memory elsewhere, where it never trims.
 */
export function heapRoom(pid: number | 'self'): number {
  const heap = heapMapping(pid);
  return heap === undefined ? 0 : heap.nextStart - heap.end;
}
