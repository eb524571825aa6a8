// The demo's closing lines: the run just made with its seed, and another mix to try, spelled as
// the demo was started (`npm start --` by this repository's script, else `vaurien demo`).
// Invariant: a suggested option flag belongs to a behavior of the suggested mix.
import { shellWord } from '../cli/shell-word.js';

/** Mixes worth a look, each with the flags that tune it. */
const OTHER_MIXES: ReadonlyArray<{ readonly names: readonly string[]; readonly flags: readonly string[] }> = [
  { names: ['hang', 'abort'], flags: ['--behavior', '10:hang,10:abort'] },
  { names: ['delay'], flags: ['--behavior', '50:delay', '--behavior-delay-sleep', '0.2'] },
  { names: ['delay', 'error'], flags: ['--behavior', '20:delay,10:error'] },
];

export interface HintInput {
  /** The arguments given after `demo` (or after `npm start --`). */
  readonly args: readonly string[];
  readonly seed: number;
  /** The behavior names of the mix that ran. */
  readonly behaviors: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export function closingHints({ args, seed, behaviors, env }: HintInput): string {
  const command = isRepositoryNpmStart(env) ? 'npm start --' : 'vaurien demo';
  const replay = [...withoutSeed(args), '--seed', String(seed)];
  const ran = new Set(behaviors.filter((name) => name !== 'dummy'));
  const other = OTHER_MIXES.find((mix) => mix.names.length !== ran.size || mix.names.some((name) => !ran.has(name))) ?? OTHER_MIXES[0];
  const kept = withoutBehaviorFlags(withoutSeed(args));
  return [
    `Same choices again: ${[command, ...replay.map(shellWord)].join(' ')}`,
    `Another mix: ${[command, ...[...kept, ...(other?.flags ?? [])].map(shellWord)].join(' ')}`,
  ].join('\n');
}

/** `npm start` run by this repository's own package.json (whose start script runs the demo). */
function isRepositoryNpmStart(env: NodeJS.ProcessEnv): boolean {
  return env['npm_lifecycle_event'] === 'start' && env['npm_package_name'] === 'vaurien';
}

function withoutSeed(args: readonly string[]): string[] {
  return dropFlags(args, (flag) => flag === '--seed');
}

/** Without --behavior and any behavior option flag: the other mix brings its own. */
function withoutBehaviorFlags(args: readonly string[]): string[] {
  return dropFlags(args, (flag) => flag === '--behavior' || flag.startsWith('--behavior-') || flag.startsWith('--handler-'));
}

/** `args` without the flags `drop` picks, with their values (`--flag value` or `--flag=value`). */
function dropFlags(args: readonly string[], drop: (flag: string) => boolean): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    const flag = word.split('=')[0] as string;
    if (!word.startsWith('--') || !drop(flag)) {
      kept.push(word);
      continue;
    }
    const next = args[i + 1];
    if (!word.includes('=') && next !== undefined && !next.startsWith('--')) i++; // its value
  }
  return kept;
}
