// A real redis-server for one test file: started on a free port by the first test that asks,
// handed out once it answers PING, stopped (with its direct client) when the file is done.
// With `tls` it serves TLS only (--tls-port; Debian's redis-server is built with it).
// A missing binary skips loudly, or fails in CI (see requireBinary).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { freePort } from './sockets.js';
import { tmpdir } from 'node:os';
import { after, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { requireBinary } from './backends.js';
import type { CertificateFiles } from './certificates.js';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as a proxy backend. */
  readonly address: string;
  /** A client connected straight to the server, not through any proxy. */
  readonly direct: Redis;
}

const HOST = '127.0.0.1';
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 10_000;

/**
 * Call once at the top of a test file; each test then gets the file's server.
 * @example
 * const redisServer = redisServerForFile();
 * test('…', async (t) => { const redis = await redisServer(t); if (!redis) return; … });
 */
export function redisServerForFile(options: { readonly tls?: () => Promise<CertificateFiles> } = {}): (t: TestContext) => Promise<RedisServer | undefined> {
  let started: Promise<{ server: RedisServer; child: ChildProcess }> | undefined;
  after(async () => {
    if (started === undefined) return;
    const { server, child } = await started.catch(() => ({ server: undefined, child: undefined }));
    server?.direct.disconnect();
    if (child !== undefined) await stop(child);
  });
  return async (t) => {
    const binary = requireBinary(t, 'redis-server');
    if (binary === undefined) return undefined;
    started ??= (options.tls?.() ?? Promise.resolve(undefined)).then((files) => start(binary, files));
    return (await started).server;
  };
}

async function start(binary: string, tls: CertificateFiles | undefined): Promise<{ server: RedisServer; child: ChildProcess }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const listen =
      tls === undefined
        ? ['--port', String(port)]
        : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no'];
    const child = spawn(binary, [...listen, '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--enable-debug-command', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Buffer[] = [];
    child.stdout?.on('data', (data: Buffer) => output.push(data));
    child.stderr?.on('data', (data: Buffer) => output.push(data));
    const ca = tls === undefined ? undefined : readFileSync(tls.caFile, 'utf8');
    try {
      await waitForPong(port, child, ca);
      const direct = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, ...(ca === undefined ? {} : { tls: { ca, servername: 'localhost' } }) });
      await direct.connect();
      return { server: { host: HOST, port, address: `${HOST}:${port}`, direct }, child };
    } catch (error) {
      // Most likely the port was taken between the probe and the start: try another one.
      await stop(child);
      lastError = new Error(`redis-server on port ${port} did not start: ${(error as Error).message}\n${Buffer.concat(output).toString()}`);
    }
  }
  throw lastError ?? new Error('redis-server did not start');
}

async function waitForPong(port: number, child: ChildProcess, ca: string | undefined): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode}`);
    if (await answersPing(port, ca)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no PONG within ${READY_TIMEOUT_MS} ms`);
}

function answersPing(port: number, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const ping = (): void => void socket.write('PING\r\n');
    const socket: Socket = ca === undefined ? connect({ host: HOST, port }, ping) : tlsConnect({ host: HOST, port, ca, servername: 'localhost' }, ping);
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
