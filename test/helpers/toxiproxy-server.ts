// A `vaurien server` in the test process (createServer on a free port) or as a command, a
// toxiproxy-node-client for it, and a scripted TCP backend whose answers show each toxic's
// effect. All closed when the test ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { Toxiproxy } from 'toxiproxy-node-client';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { createServer, type ServerOptions, type ToxiproxyServer } from '../../lib/server/create-server.js';
import { VAURIEN_BIN } from './cli.js';

export interface TestToxiproxy {
  readonly server: ToxiproxyServer;
  readonly client: Toxiproxy;
}

export async function startToxiproxyServer(t: TestContext, options: ServerOptions = {}): Promise<TestToxiproxy> {
  const server = await createServer({ host: '127.0.0.1', port: 0, seed: 1, ...options });
  t.after(() => server.close());
  return { server, client: new Toxiproxy(server.url) };
}

/**
 * A backend that reads one command line: `SEND n` answers n bytes `a` then closes, `CLOSE`
 * answers `hi` then closes, `ECHO` answers `ok\n` then echoes everything.
 */
export async function startScriptedBackend(t: TestContext): Promise<{ readonly address: string; readonly port: number }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let line = '';
    const onData = (data: Buffer): void => {
      line += data.toString('latin1');
      const at = line.indexOf('\n');
      if (at === -1) return;
      socket.off('data', onData);
      const [command, argument] = line.slice(0, at).split(' ');
      const rest = Buffer.from(line.slice(at + 1), 'latin1');
      if (command === 'SEND') socket.end(Buffer.alloc(Number(argument), 0x61));
      else if (command === 'CLOSE') socket.end('hi');
      else {
        socket.write(Buffer.concat([Buffer.from('ok\n'), rest]));
        socket.pipe(socket);
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, port };
}

/** What a client saw of one connection through a proxy. */
export interface Session {
  readonly bytes: number;
  readonly reads: number;
  /** From the connect to the first byte, and to the end (ms). */
  readonly firstByteMs: number;
  readonly endMs: number;
  /** `end` (FIN), a socket error code (`ECONNRESET`), `enough` (stopAt reached) or `waited` (timeoutMs passed). */
  readonly outcome: string;
  readonly data: Buffer;
}

/** Connects to `port`, sends `send`, and records what comes back until the end, `stopAt` bytes or `timeoutMs`. */
export function session(port: number, send: string | Buffer, options: { stopAt?: number; timeoutMs?: number } = {}): Promise<Session> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true }, () => socket.write(send));
    const parts: Buffer[] = [];
    let bytes = 0;
    let firstByteMs = -1;
    const done = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes, reads: parts.length, firstByteMs, endMs: performance.now() - started, outcome, data: Buffer.concat(parts) });
    };
    const timer = setTimeout(() => done('waited'), options.timeoutMs ?? 5000);
    socket.on('data', (data: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - started;
      parts.push(data);
      bytes += data.length;
      if (options.stopAt !== undefined && bytes >= options.stopAt) done('enough');
    });
    socket.on('end', () => done('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}

/** A `vaurien server` command running as a child process (the built one), stopped when the test ends. */
export interface ServerCommand {
  /** The start-up line (`vaurien x.y.z: Toxiproxy-compatible server on http://…`). */
  readonly banner: string;
  /** The API's URL, read from the banner. */
  readonly url: string;
  /** Everything it printed on stdout so far (the banner, a `--fault-log -`). */
  stdout(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `vaurien server ARGS` and resolves once it prints its start-up line (it listens then). */
export function startServerCommand(t: TestContext, args: readonly string[]): Promise<ServerCommand> {
  if (!existsSync(VAURIEN_BIN)) throw new Error(`${VAURIEN_BIN} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, VAURIEN_BIN, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vaurien server did not start within 10 s; stderr: ${stderr}`)), 10_000);
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const banner = stdout.split('\n').find((line) => line.includes('Toxiproxy-compatible server on'));
      const url = banner === undefined ? undefined : /on (http:\/\/\S+)/.exec(banner)?.[1];
      if (banner === undefined || url === undefined) return;
      clearTimeout(timer);
      resolve({
        banner,
        url,
        stdout: () => stdout,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vaurien server exited (${code}) before starting: ${stderr}`));
    });
  });
}

/** A plain fetch to a server's REST API, as any Toxiproxy client sends it; the JSON answer (asserting a 2xx). */
export async function apiJson(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const answer = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await answer.text();
  assert.ok(answer.ok, `${method} ${url}: ${answer.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** Resolves once `condition()` holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
