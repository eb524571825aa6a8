// Child processes of a bench run: backends, the bare pipe proxy, vaurien. Each prints its
// ports on stdout; we wait for them, and kill everything at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Spawns `args` and resolves with the lines it printed once `ready` matches the output. */
export function spawnAndWait(command: string, args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString();
      if (ready.test(output)) resolve({ child, output });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before being ready`)));
  });
}

const tsx = ['--import', 'tsx'];
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export async function startBackends(): Promise<{ echoPort: number; httpPort: number }> {
  const { output } = await spawnAndWait(process.execPath, [...tsx, here('../servers/backends.ts')], /http \d+/);
  return { echoPort: Number(/echo (\d+)/.exec(output)?.[1]), httpPort: Number(/http (\d+)/.exec(output)?.[1]) };
}

export async function startPipeProxy(backendPort: number): Promise<number> {
  const { output } = await spawnAndWait(process.execPath, [...tsx, here('../servers/pipe-proxy.ts'), String(backendPort)], /listening \d+/);
  return Number(/listening (\d+)/.exec(output)?.[1]);
}

/** vaurien from dist/ (run `npm run build` first), dummy unless `args` say otherwise. */
export async function startVaurien(backendPort: number, args: readonly string[] = []): Promise<number> {
  const bin = here('../../dist/bin/vaurien.js');
  const { output } = await spawnAndWait(
    process.execPath,
    [bin, '--proxy', '127.0.0.1:0', '--backend', `127.0.0.1:${backendPort}`, '--log-level', 'error', '--seed', '1', ...args],
    /proxying \S+:\d+ ->/,
  );
  return Number(/proxying \S+:(\d+) ->/.exec(output)?.[1]);
}
