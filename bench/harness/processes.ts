// Child processes of a bench run: the bench's backends, redis-server, memcached, PostgreSQL, the
// bare pipe proxy, vaurien. Each runs in its own process so the load generator (this process)
// never shares an event loop with what it measures. Every child is stopped when the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { startPostgresServer } from '../../test/helpers/postgres-server.js';

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** vaurien with --http: its control API's port. */
  readonly apiPort?: number;
  /** Stops it (SIGINT and a wait when it writes a CPU profile, else SIGKILL). */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
/** Backends stopped their own way (postgres: its server and its data directory). */
const stoppers = new Set<() => Promise<void>>();
const profiled = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): void {
  children.add(child);
  child.on('exit', () => {
    children.delete(child);
    profiled.delete(child);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (profiled.has(child)) {
    // The profile is written on a clean exit only: ask nicely, then insist.
    child.kill('SIGINT');
    const done = await Promise.race([exited(child).then(() => true), sleep(15_000).then(() => false)]);
    if (done) return;
  }
  child.kill('SIGKILL');
  await exited(child);
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...[...children].map(stopProcess), ...[...stoppers].map((stop) => stop())]);
}

/** Spawns a child and resolves once its stdout matches `ready`, with what it printed so far. */
export function spawnAndWait(command: string, args: readonly string[], ready: RegExp, profile = false): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child);
  if (profile) profiled.add(child);
  return new Promise((resolve, reject) => {
    let output = '';
    let done = false;
    child.stdout?.on('data', (data: Buffer) => {
      if (done) return; // keep draining, so a chatty child never blocks on a full pipe
      output += data.toString();
      if (ready.test(output)) {
        done = true;
        resolve({ child, output });
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!done) reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) before being ready:\n${output}`));
    });
  });
}

export function asChild(child: ChildProcess, port: number): Child {
  return { process: child, pid: child.pid ?? 0, port, stop: () => stopProcess(child) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port} within 10 s`);
}

const tsx = ['--import', 'tsx'];
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** The bench's own backends: a tcp echo and a keep-alive HTTP server, in one child. */
export async function startBenchBackends(): Promise<{ echo: Child; http: Child }> {
  const { child, output } = await spawnAndWait(process.execPath, [...tsx, here('../servers/backends.ts')], /http \d+/);
  return { echo: asChild(child, Number(/echo (\d+)/.exec(output)?.[1])), http: asChild(child, Number(/http (\d+)/.exec(output)?.[1])) };
}

export async function startRedis(binary: string, maxClients: number): Promise<Child> {
  const port = await freePort();
  const { child } = await spawnAndWait(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--maxclients', String(maxClients), '--loglevel', 'notice'],
    /[Rr]eady to accept connections/,
  );
  return asChild(child, port);
}

export async function startMemcached(binary: string, maxConnections: number): Promise<Child> {
  const port = await freePort();
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-c', String(maxConnections), '-m', '64', '-t', '2'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  track(child);
  await waitForPort(port, child, 'memcached');
  return asChild(child, port);
}

/**
 * A PostgreSQL server (the tests' helper: initdb in a temporary directory, a trust user
 * `trusted`, database `chaos`). `pid` is the postmaster's: each connection is served by a
 * process of its own, so the backend's CPU per request cannot be read from it.
 */
export async function startPostgres(): Promise<Child> {
  const running = await startPostgresServer();
  const stop = async (): Promise<void> => {
    stoppers.delete(stop);
    await running.stop();
  };
  stoppers.add(stop);
  return { process: running.child, pid: running.child.pid ?? 0, port: running.server.port, stop };
}

export interface ProxyLaunch {
  /** vaurien's build (bin/vaurien.js inside). */
  readonly distDir: string;
  /** Where proxies write CPU profiles (--cpu-prof); undefined: no profiling. */
  readonly profileDir?: string | undefined;
}

let profiles = 0;

/**
 * node flags that write CPU profiles into a directory named after `label` (e.g.
 * DIR/vaurien-redis-3/): a directory, not a file name, because a process running through tsx
 * has a second thread (the module loader) that writes a profile of its own.
 */
export function profileFlags(launch: ProxyLaunch, label: string): string[] {
  if (launch.profileDir === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${resolvePath(launch.profileDir, `${label}-${++profiles}`)}`];
}

/** The baseline: the plainest Node TCP proxy (socket.pipe both ways). `label` names its profile. */
export function startPipeProxy(launch: ProxyLaunch, backendPort: number, label: string): Promise<Child> {
  return startNodeProxy(launch, '../servers/pipe-proxy.ts', [String(backendPort)], label);
}

/** The plainest Node proxy that pairs each answer with its command: redis (resp-scan-proxy.ts --pair) or memcache (memcache-pair-proxy.ts). */
export function startPairingProxy(launch: ProxyLaunch, protocol: 'redis' | 'memcache', backendPort: number, label: string): Promise<Child> {
  if (protocol === 'memcache') return startNodeProxy(launch, '../servers/memcache-pair-proxy.ts', [String(backendPort)], label);
  return startNodeProxy(launch, '../servers/resp-scan-proxy.ts', [String(backendPort), '--pair'], label);
}

/** One of the bench's own proxies (bench/servers), which prints "listening PORT". */
async function startNodeProxy(launch: ProxyLaunch, script: string, args: readonly string[], label: string): Promise<Child> {
  const { child, output } = await spawnAndWait(process.execPath, [...profileFlags(launch, label), ...tsx, here(script), ...args], /listening \d+/, launch.profileDir !== undefined);
  return asChild(child, Number(/listening (\d+)/.exec(output)?.[1]));
}

/** vaurien from its build, in front of `backendPort`, with `args` (protocol, behavior…). */
export async function startVaurien(launch: ProxyLaunch, backendPort: number, args: readonly string[], label: string): Promise<Child> {
  const bin = resolvePath(launch.distDir, 'bin/vaurien.js');
  const { child, output } = await spawnAndWait(
    process.execPath,
    [...profileFlags(launch, label), ...VAURIEN_NODE_FLAGS, bin, '--proxy', '127.0.0.1:0', '--backend', `127.0.0.1:${backendPort}`, '--log-level', 'error', '--seed', '1', '--grace', '1', ...args],
    /proxying \S+:\d+ ->/,
    launch.profileDir !== undefined,
  );
  const api = /control API on http:\/\/\S+:(\d+)/.exec(output)?.[1];
  return { ...asChild(child, Number(/proxying \S+:(\d+) ->/.exec(output)?.[1])), ...(api === undefined ? {} : { apiPort: Number(api) }) };
}

/** Adds a proxy (and a toxic) to a Toxiproxy-API server; resolves with the proxy's port. */
async function addServerProxy(apiPort: number, backendPort: number, toxic: object | undefined): Promise<number> {
  const api = `http://127.0.0.1:${apiPort}`;
  const created = await fetch(`${api}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${backendPort}` }) });
  if (created.status !== 201) throw new Error(`POST /proxies: ${created.status} ${await created.text()}`);
  const { listen } = (await created.json()) as { listen: string };
  if (toxic !== undefined) {
    const added = await fetch(`${api}/proxies/bench/toxics`, { method: 'POST', body: JSON.stringify(toxic) });
    if (added.status !== 200) throw new Error(`POST /toxics: ${added.status} ${await added.text()}`);
  }
  return Number(listen.split(':').at(-1));
}

/** `vaurien server` from its build, with one proxy in front of `backendPort` (the child's port is the proxy's). */
export async function startVaurienServer(launch: ProxyLaunch, backendPort: number, label: string): Promise<Child> {
  const bin = resolvePath(launch.distDir, 'bin/vaurien.js');
  const { child, output } = await spawnAndWait(
    process.execPath,
    [...profileFlags(launch, label), ...VAURIEN_NODE_FLAGS, bin, 'server', '-host', '127.0.0.1', '-port', '0', '-seed', '1', '--log-level', 'error'],
    /server on http:\/\/\S+:\d+/,
    launch.profileDir !== undefined,
  );
  const apiPort = Number(/server on http:\/\/\S+:(\d+)/.exec(output)?.[1]);
  return asChild(child, await addServerProxy(apiPort, backendPort, undefined));
}

/** The real toxiproxy-server (TOXIPROXY_BIN), with one proxy in front of `backendPort` and `toxic` on it. */
export async function startToxiproxy(binary: string, backendPort: number, toxic: object | undefined): Promise<Child> {
  const apiPort = await freePort();
  const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(apiPort)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'error' } });
  track(child);
  await waitForPort(apiPort, child, 'toxiproxy-server');
  return asChild(child, await addServerProxy(apiPort, backendPort, toxic));
}

/**
 * CPU time a process has used so far, µs, all its threads (from schedstat: nanoseconds, where
 * /proc/PID/stat only counts 10 ms ticks). Less disturbed by other load on the machine than a
 * request rate (though not immune: a busy machine means fewer events per wake-up).
 */
export function cpuMicros(pid: number): number {
  let nanos = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return nanos / 1000;
}

/** Resident set size of a process, KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
