// Summarises V8 CPU profiles (from `npm run bench -- --profile DIR`: one directory per proxy
// process, DIR/vaurien-redis-2/, DIR/pipe-tcp-1/…): the functions and files with the most self
// time, summed over every profile found under the paths given.
// The first `--from` seconds of each profile (process start-up, module loading) are left out.
//   node --import tsx bench/profile-top.ts DIR_OR_FILE... [--top N] [--from SECONDS]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals: inputs } = parseArgs({
  args: process.argv.slice(2),
  options: { top: { type: 'string', default: '30' }, from: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const top = Number(values.top);
const fromMicros = Number(values.from) * 1e6;
if (inputs.length === 0) {
  process.stderr.write('usage: profile-top.ts DIR_OR_FILE... [--top N] [--from SECONDS]\n');
  process.exit(2);
}
const profilesUnder = (path: string): string[] =>
  statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => profilesUnder(join(path, name))) : path.endsWith('.cpuprofile') ? [path] : [];
const files = inputs.flatMap(profilesUnder);

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, micros: number): void => void map.set(key, (map.get(key) ?? 0) + micros);

/** node_modules/x/…, dist/lib/…, node:internal/… : short enough to read, precise enough to find. */
function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = /\/((?:dist|bench-dist)\/.*)$/.exec(url);
  return dist?.[1] ?? url.replace(/^file:\/\//, '');
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    elapsed += micros;
    if (elapsed < fromMicros) return;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const where = shortUrl(frame.url);
    total += micros;
    add(byFunction, frame.url === '' ? name : `${name}  ${where}:${frame.lineNumber + 1}`, micros);
    add(byFile, frame.url === '' ? name : where, micros);
  });
}

const idle = byFunction.get('(idle)') ?? 0;
const busy = total - idle;
const lines: string[] = [`${files.length} profile(s): ${files.join(' ')}`];
const print = (title: string, map: Map<string, number>): void => {
  lines.push('', `${title} (self time, % of busy time ${(busy / 1e6).toFixed(2)} s; idle ${(idle / 1e6).toFixed(1)} s)`);
  const rows = [...map.entries()].filter(([key]) => key !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, micros] of rows) lines.push(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`);
};
print('functions', byFunction);
print('files', byFile);
process.stdout.write(`${lines.join('\n')}\n`);
