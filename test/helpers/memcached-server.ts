// A real memcached on a free port: one per test file (started by the first test that needs it,
// stopped after the file) or one per test. A missing binary skips loudly, or fails in CI.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './sockets.js';
import type { TestContext } from 'node:test';
import { requireBinary } from './backends.js';

export interface MemcachedServer {
  readonly port: number;
  /** `127.0.0.1:port`, for proxies and clients that take one string. */
  readonly address: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 5000;

/** A memcached for the current test, stopped when it ends; undefined (skipped) without the binary. */
export async function startMemcached(t: TestContext, extraArgs: readonly string[] = []): Promise<MemcachedServer | undefined> {
  const binary = requireBinary(t, 'memcached');
  if (binary === undefined) return undefined;
  const server = await launch(binary, extraArgs);
  t.after(() => server.stop());
  return server;
}

/**
 * One memcached shared by the tests of a file: `get(t)` starts it on first use; call `stop()`
 * from the file's `after` hook.
 */
export function memcachedForFile(extraArgs: readonly string[] = []): { get(t: TestContext): Promise<MemcachedServer | undefined>; stop(): Promise<void> } {
  let started: Promise<MemcachedServer> | undefined;
  return {
    async get(t) {
      const binary = requireBinary(t, 'memcached');
      if (binary === undefined) return undefined;
      started ??= launch(binary, extraArgs);
      return started;
    },
    async stop() {
      if (started !== undefined) await (await started).stop();
    },
  };
}

async function launch(binary: string, extraArgs: readonly string[]): Promise<MemcachedServer> {
  // A free port can be taken between the probe and memcached's bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launchOn(binary, port, extraArgs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launchOn(binary: string, port: number, extraArgs: readonly string[]): Promise<MemcachedServer> {
  const asRoot = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(binary, ['-p', String(port), '-U', '0', '-l', '127.0.0.1', ...asRoot, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`memcached exited (${code}): ${stderr.trim()}`))));
  exited.catch(() => {}); // observed below; a later exit (after stop) is expected
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { port, address: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`memcached did not listen on port ${port} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
