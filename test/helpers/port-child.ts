// A Node script run in a child process that prints `port N` once it listens: resolves with its
// pid and port, and kills it when the test ends.
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

export interface PortChild {
  readonly pid: number;
  readonly port: number;
}

/** Runs `script` with `node -e`; `what` names it in the error if it exits before listening. */
export function startPortChild(t: TestContext, script: string, what: string): Promise<PortChild> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString();
      const port = /port (\d+)/.exec(out)?.[1];
      if (port !== undefined && child.pid !== undefined) resolve({ pid: child.pid, port: Number(port) });
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}
