// Runs `vaurien` in a child process with the control API on, for tests driven from Node (SPEC
// section 7): `startProxy` resolves once the proxy and the API both accept connections and
// rejects with the child's stderr if it exits first; `stopProxy` ends it and waits until the
// process is gone. A child still running when the parent exits is killed: no orphans.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { VAURIEN_NODE_FLAGS } from '../cli/node-flags.js';

export interface StartProxyOptions {
  /** Where the proxy listens; default `localhost:8000`. */
  readonly proxyHost?: string;
  readonly proxyPort?: number;
  /** Where it forwards; default `localhost:8888`. */
  readonly backendHost?: string;
  readonly backendPort?: number;
  /** `tcp` (default), `http`, `redis`, … or a plugin reference (`./proto/ldap.js`). */
  readonly protocol?: string;
  /** Protocol options, e.g. `{ keep_alive: true }` (become `--protocol-NAME-OPTION` flags). */
  readonly protocolOptions?: Readonly<Record<string, string | number | boolean>>;
  /** Weighted spec, e.g. `20:delay,10:error`; default `100:dummy`. */
  readonly behavior?: string;
  /** Options per behavior, e.g. `{ delay: { sleep: 2 } }` (become `--behavior-NAME-OPTION` flags). */
  readonly options?: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
  /** Accept TLS from clients with this PEM certificate file and its key file (`--tls-cert`, `--tls-key`). */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /**
   * Connect to the backend with TLS (`--backend-tls`): its certificate checked against the PEM
   * file `backendTlsCa` (else Node's CAs), or not at all with `backendTlsInsecure`.
   */
  readonly backendTls?: boolean;
  readonly backendTlsCa?: string;
  readonly backendTlsInsecure?: boolean;
  /** Where the control API listens; default `localhost:8080`. */
  readonly httpHost?: string;
  readonly httpPort?: number;
  /** Bearer token the API will require (passed through the environment, not argv). */
  readonly token?: string;
  /** Seed of the behavior selection, for replayable runs. */
  readonly seed?: number;
  /** Worker processes serving the proxy port (`--workers`); default 1. */
  readonly workers?: number;
  /** An INI config file (command-line values given here override it). */
  readonly config?: string;
  /** `critical` … `debug`; default `info`. */
  readonly logLevel?: string;
  /** The fault log file (`--fault-log`): one JSON line per exchange given a behavior. */
  readonly faultLog?: string;
  /** Record every exchange, dummy ones too (`--fault-log-all`). */
  readonly faultLogAll?: boolean;
  /** More `vaurien` arguments, appended as given (e.g. `['--stay-connected']`). */
  readonly args?: readonly string[];
  /** Working directory of the child (plugin paths are relative to it); default the current one. */
  readonly cwd?: string;
  /** Environment of the child; default the current one. */
  readonly env?: NodeJS.ProcessEnv;
  /** Echo the child's stdout/stderr to this process's once it runs (default: discard). */
  readonly echoOutput?: boolean;
  /** How long to wait for both ports; default 15000 ms. */
  readonly startTimeoutMs?: number;
}

/** The child exited (or never got ready) before both ports accepted connections. */
export class ProxyStartError extends Error {
  override readonly name = 'ProxyStartError';
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

const running = new Map<number, ChildProcess>();
let exitHookInstalled = false;
/** stderr kept for the error message of a failed start. */
const STDERR_KEPT_BYTES = 64 * 1024;

/**
 * Starts `vaurien --http` in a child process; resolves with its pid once the proxy port and the
 * control API port both accept connections.
 * @example
 * const pid = await startProxy({ proxyPort: 8000, backendPort: 6379, protocol: 'redis' });
 * try { await new Client().setBehavior('delay', { sleep: 1 }); } finally { await stopProxy(pid); }
 */
export async function startProxy(options: StartProxyOptions = {}): Promise<number> {
  const proxy = { host: options.proxyHost ?? 'localhost', port: options.proxyPort ?? 8000 };
  const api = { host: options.httpHost ?? 'localhost', port: options.httpPort ?? 8080 };
  for (const [what, port] of [['proxyPort', proxy.port], ['httpPort', api.port]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`startProxy: ${what} must be a port in 1-65535, got ${port}`);
  }
  const { command, prefix } = vaurienCommand();
  const args = [...prefix, ...cliArguments(options, proxy, api)];
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  if (options.token !== undefined) env['VAURIEN_HTTP_TOKEN'] = options.token;
  const child = spawn(command, args, { cwd: options.cwd ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    const spawnError = await new Promise<Error>((done) => child.once('error', done));
    throw new ProxyStartError(`cannot run vaurien: ${spawnError.message}`, '', null);
  }
  track(pid, child);

  let stderr = '';
  const keepStderr = (chunk: Buffer): void => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_BYTES);
  };
  child.stderr.on('data', keepStderr);
  // The start line is printed once both sockets listen: a port answered by someone else
  // (already in use) is not mistaken for our proxy.
  const started = new Promise<void>((done) => child.stdout.once('data', () => done()));
  child.stdout.on('data', () => {}); // keep it flowing

  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      running.delete(pid);
      const reason = stderr.trim() !== '' ? stderr.trim() : `vaurien exited with ${signal ?? `code ${code}`} before listening`;
      reject(new ProxyStartError(reason, stderr, code));
    });
  });
  exited.catch(() => {}); // observed below; never an unhandled rejection after a successful start
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const deadline = performance.now() + timeoutMs;
  const late = (): ProxyStartError => new ProxyStartError(notReady(proxy, api, timeoutMs, stderr), stderr, null);
  let gaveUp = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([started, waitForPort(proxy, deadline, () => gaveUp, late), waitForPort(api, deadline, () => gaveUp, late)]),
      exited,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), timeoutMs))),
    ]);
  } catch (error) {
    gaveUp = true;
    if (child.exitCode === null && child.signalCode === null) await stopProxy(pid);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  child.stderr.off('data', keepStderr);
  if (options.echoOutput === true) {
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
  } else {
    child.stderr.resume();
  }
  // A running proxy does not keep this process alive; the exit hook ends it with us.
  unrefChild(child);
  return pid;
}

/**
 * Ends the proxy started as `pid` (SIGTERM; SIGKILL after `timeoutMs`) and resolves once the
 * process is gone. A pid this module did not start is signalled and polled the same way.
 */
export async function stopProxy(pid: number, { timeoutMs = 15_000 }: { readonly timeoutMs?: number } = {}): Promise<void> {
  const child = running.get(pid);
  if (child !== undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      running.delete(pid);
      return;
    }
    child.ref();
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    running.delete(pid);
    return;
  }
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = performance.now() + timeoutMs;
  for (let waitMs = 10; isAlive(pid); waitMs = Math.min(waitMs * 2, 200)) {
    if (performance.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(50);
      if (!isAlive(pid)) return;
    }
    await sleep(waitMs);
  }
}

/** How to run the CLI: the compiled `bin/vaurien.js` beside this file, else the built dist, else the sources through tsx. */
export function vaurienCommand(): { command: string; prefix: string[] } {
  const here = fileURLToPath(import.meta.url);
  const root = resolve(dirname(here), '../..');
  if (here.endsWith('.js')) return { command: process.execPath, prefix: [...VAURIEN_NODE_FLAGS, join(root, 'bin', 'vaurien.js')] };
  const built = join(root, 'dist', 'bin', 'vaurien.js');
  if (existsSync(built)) return { command: process.execPath, prefix: [...VAURIEN_NODE_FLAGS, built] };
  return { command: process.execPath, prefix: [...VAURIEN_NODE_FLAGS, '--import', 'tsx', join(root, 'bin', 'vaurien.ts')] };
}

function cliArguments(options: StartProxyOptions, proxy: Target, api: Target): string[] {
  const args = [
    '--proxy',
    hostPort(proxy),
    '--backend',
    hostPort({ host: options.backendHost ?? 'localhost', port: options.backendPort ?? 8888 }),
    '--http',
    '--http-host',
    api.host,
    '--http-port',
    String(api.port),
  ];
  if (options.config !== undefined) args.push('--config', options.config);
  if (options.protocol !== undefined) args.push('--protocol', options.protocol);
  if (options.behavior !== undefined) args.push('--behavior', options.behavior);
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.logLevel !== undefined) args.push('--log-level', options.logLevel);
  if (options.tlsCert !== undefined) args.push('--tls-cert', options.tlsCert);
  if (options.tlsKey !== undefined) args.push('--tls-key', options.tlsKey);
  if (options.backendTls !== undefined) args.push('--backend-tls', String(options.backendTls));
  if (options.backendTlsCa !== undefined) args.push('--backend-tls-ca', options.backendTlsCa);
  if (options.backendTlsInsecure !== undefined) args.push('--backend-tls-insecure', String(options.backendTlsInsecure));
  if (options.faultLog !== undefined) args.push('--fault-log', options.faultLog);
  if (options.faultLogAll === true) args.push('--fault-log-all');
  const protocolName = options.protocol ?? 'tcp';
  for (const [key, value] of Object.entries(options.protocolOptions ?? {})) args.push(`--protocol-${protocolName}-${flagName(key)}`, String(value));
  for (const [behavior, values] of Object.entries(options.options ?? {})) {
    for (const [key, value] of Object.entries(values)) args.push(`--behavior-${behavior}-${flagName(key)}`, String(value));
  }
  return [...args, ...(options.args ?? [])];
}

function flagName(option: string): string {
  return option.replaceAll('_', '-');
}

interface Target {
  readonly host: string;
  readonly port: number;
}

function hostPort({ host, port }: Target): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Polls `target` with a short backoff until a connection succeeds. */
async function waitForPort(target: Target, deadline: number, stopped: () => boolean, late: () => Error): Promise<void> {
  // A wildcard address is reached through loopback.
  const host = target.host === '0.0.0.0' ? '127.0.0.1' : target.host === '::' ? '::1' : target.host;
  for (let waitMs = 5; !stopped() && performance.now() < deadline; waitMs = Math.min(waitMs * 2, 100)) {
    if (await accepts(host, target.port)) return;
    await sleep(waitMs);
  }
  throw late();
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket: Socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => {
      socket.destroy();
      done(false);
    });
  });
}

function notReady(proxy: Target, api: Target, timeoutMs: number, stderr: string): string {
  const tail = stderr.trim() !== '' ? `; stderr: ${stderr.trim()}` : '';
  return `vaurien did not get ready (proxy ${hostPort(proxy)}, control API ${hostPort(api)}) within ${timeoutMs} ms${tail}`;
}

function track(pid: number, child: ChildProcess): void {
  running.set(pid, child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const orphan of running.values()) orphan.kill('SIGKILL');
  });
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr] as Array<Readable | null>) (stream as (Readable & { unref?: () => void }) | null)?.unref?.();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
