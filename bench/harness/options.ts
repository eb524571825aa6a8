// The bench's command line (`npm run bench -- ...`). Quick mode scales every duration and
// count down so the whole run stays under 2 minutes; the full run stays under 10.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly quick: boolean;
  readonly reps: number;
  /** Substrings of scenario ids; empty: all scenarios. */
  readonly only: readonly string[];
  readonly jsonPath: string;
  /** A saved run to compare this one against (exit 1 on a regression). */
  readonly comparePath: string | undefined;
  /** With --compare: compare this saved run instead of running the bench. */
  readonly withPath: string | undefined;
  /** Directory for vaurien's --cpu-prof output. */
  readonly profileDir: string | undefined;
  /** Where vaurien's build lives (bin/vaurien.js inside). */
  readonly distDir: string;
  readonly list: boolean;
  /** Seconds of each request/response measurement. */
  readonly seconds: number;
  /** Seconds of each warm-up run (one per target before the repetitions). */
  readonly warmupSeconds: number;
}

const USAGE = `usage: npm run bench -- [options]
  --quick            short run (< 2 min): fewer repetitions, shorter measurements
  --reps N           repetitions of each measurement (default 5, quick 3)
  --only A,B         run only scenarios whose id contains A or B (e.g. tcp/, redis/rr-50, chaos)
  --list             list the scenario ids and exit
  --json FILE        where to write the results (default bench/results/latest.json)
  --compare FILE     compare this run with a saved one; exit 1 on a regression
  --with FILE        with --compare: compare FILE (a saved run) instead of running the bench
  --profile DIR      run the proxies (vaurien and pipe) with --cpu-prof, profiles written to DIR
  --dist DIR         vaurien build to run (default dist; build it with npx tsc -p tsconfig.build.json)`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string', multiple: true, default: [] },
      list: { type: 'boolean', default: false },
      json: { type: 'string', default: 'bench/results/latest.json' },
      compare: { type: 'string' },
      with: { type: 'string' },
      profile: { type: 'string' },
      dist: { type: 'string', default: 'dist' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const reps = values.reps === undefined ? (quick ? 3 : 5) : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`);
  if (values.with !== undefined && values.compare === undefined) throw new Error('--with needs --compare');
  return {
    quick,
    reps,
    only: values.only.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== ''),
    jsonPath: values.json,
    comparePath: values.compare,
    withPath: values.with,
    profileDir: values.profile,
    distDir: values.dist,
    list: values.list,
    seconds: quick ? 0.2 : 0.7,
    warmupSeconds: quick ? 0.1 : 0.3,
  };
}
