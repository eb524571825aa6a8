// Runs the built `vaurien` command (dist/, made by `npm run build`) as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';

export const VAURIEN_BIN = fileURLToPath(new URL('../../dist/bin/vaurien.js', import.meta.url));

function checkBuilt(): void {
  if (!existsSync(VAURIEN_BIN)) throw new Error(`${VAURIEN_BIN} is missing: run \`npm run build\` first (npm test does)`);
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs vaurien to completion (for --help, --version, usage errors). */
export function runVaurien(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Finished> {
  checkBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, VAURIEN_BIN, ...args], { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vaurien ${args.join(' ')} did not exit within ${options.timeoutMs ?? 10_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningVaurien {
  readonly child: ChildProcess;
  /** The start-up line ("vaurien x.y.z: proxying ..."). */
  readonly banner: string;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts vaurien and resolves once it prints its start-up line (it is listening then). */
export function startVaurien(t: TestContext, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunningVaurien> {
  checkBuilt();
  const child = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, VAURIEN_BIN, ...args], { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vaurien did not start within 10 s; stderr: ${stderr}`)), 10_000);
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      const line = stdout.split('\n').find((candidate) => candidate.includes(': proxying '));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve({
        child,
        banner: line,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vaurien exited with ${code} before starting; stderr: ${stderr}`));
    });
  });
}

/** The port vaurien's banner says it listens on. */
export function bannerPort(banner: string): number {
  const match = /proxying \S+:(\d+) ->/.exec(banner);
  if (match === null) throw new Error(`no port in "${banner}"`);
  return Number(match[1]);
}
