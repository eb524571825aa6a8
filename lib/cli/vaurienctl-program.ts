// `vaurienctl`: drives a running proxy through its control API (SPEC section 6), with the
// original's outputs (`Behavior changed to "blackout"`). Every failure is one line on stderr:
// exit 2 for a usage mistake (a bad command line, or a request the API calls invalid),
// exit 1 for anything else (the API unreachable, a wrong token, a server failure).
import { Command, CommanderError } from 'commander';
import { Client, ControlApiError, ControlApiUnreachableError, type BehaviorState } from '../control/client.js';
import { VERSION } from '../version.js';
import { shellWord } from './shell-word.js';
import { UsageError } from './usage-error.js';

export interface CtlIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

interface GlobalOptions {
  readonly host: string;
  readonly port: number;
  readonly token?: string;
}

/** Runs one `vaurienctl` command line (`argv` without node and the script); resolves with the exit status. */
export async function runVaurienctl(argv: readonly string[], io: CtlIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(io, env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed it
    io.stderr.write(`vaurienctl: ${describe(error)}\n`);
    if (error instanceof UsageError) return 2;
    if (error instanceof ControlApiError && error.status === 400) return 2;
    return 1;
  }
}

function buildProgram(io: CtlIo, env: NodeJS.ProcessEnv): Command {
  const print = (line: string): void => void io.stdout.write(`${line}\n`);
  const program = new Command('vaurienctl')
    .description('Drive a running vaurien proxy through its control API (vaurien --http).')
    .option('--host <host>', 'host of the control API', 'localhost')
    .option('--port <port>', 'port of the control API', parsePort, 8080)
    .option('--token <token>', 'bearer token the API requires (default: $VAURIEN_HTTP_TOKEN)')
    .version(VERSION, '--version', 'Print the version and exit')
    .helpOption('-h, --help', 'Show this help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`vaurienctl: ${text.replace(/^error: /, '').trim()}\n`),
    })
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  vaurienctl list-behaviors',
        '  vaurienctl set-behavior delay --sleep 2',
        '  vaurienctl set-behavior 20:delay,10:error --delay-sleep 0.5',
        '  vaurienctl set-behavior blackout --for 10',
        '  vaurienctl get-behavior',
        '  vaurienctl events | jq .outcome',
        '  vaurienctl --port 8474 events           # the fault log of a vaurien server',
        '  vaurienctl --port 8081 set-backend localhost:6380',
      ].join('\n'),
    );
  const client = (): Client => {
    const options = program.opts<GlobalOptions>();
    const token = options.token ?? env['VAURIEN_HTTP_TOKEN'];
    return new Client({ host: options.host, port: options.port, ...(token !== undefined && token !== '' ? { token } : {}) });
  };

  program
    .command('list-behaviors')
    .description('List the behaviors the proxy knows (plugins included)')
    .option('--details', 'also show each behavior’s description and options')
    .action(async (options: { details?: boolean }) => {
      if (options.details !== true) return print((await client().listBehaviors()).join(', '));
      for (const behavior of await client().describeBehaviors()) {
        print(`${behavior.name}: ${behavior.description}`);
        for (const [name, spec] of Object.entries(behavior.options)) {
          print(`  --${name.replaceAll('_', '-')} <${spec.type}>  ${spec.description} (default: ${JSON.stringify(spec.default)})`);
        }
      }
    });
  program
    .command('get-behavior')
    .description('Print the behavior in force and its options, as set-behavior takes them (delay --sleep 2 --before true)')
    .action(async () => print(formatBehaviorState(await client().getBehaviorState())));
  program
    .command('set-behavior')
    .description('Use NAME for 100% of new exchanges (or a weighted set); options as --OPTION VALUE')
    .argument('<spec>', 'a behavior name, or PERCENT:NAME[,PERCENT:NAME...]')
    .argument('[options...]', '--OPTION VALUE for one behavior (--sleep 2); --NAME-OPTION VALUE in a set (--delay-sleep 2); --for SECONDS: then the previous setting comes back')
    .allowUnknownOption()
    .action(async (spec: string, _operands: string[], _options: unknown, command: Command) => {
      const { words, seconds } = takeFor(command.args.slice(1));
      const options = behaviorOptions(spec, words);
      await client().setBehavior(spec, options, seconds === undefined ? {} : { duration: seconds });
      print(seconds === undefined ? `Behavior changed to "${spec}"` : `Behavior changed to "${spec}" for ${seconds} s`);
    });
  program
    .command('get-backend')
    .description('Print the backend new connections go to')
    .action(async () => print(await client().getBackend()));
  program
    .command('set-backend')
    .description('Send new connections to HOST:PORT (open ones keep theirs)')
    .argument('<host:port>', 'the new backend')
    .action(async (backend: string) => {
      await client().setBackend(backend);
      print(`Backend changed to "${backend}"`);
    });
  program
    .command('stats')
    .description('Print the proxy’s counters (connections, exchanges per behavior, bytes, faults) as JSON')
    .action(async () => print(JSON.stringify(await client().stats(), null, 2)));
  program
    .command('metrics')
    .description('Print the counters in Prometheus text format')
    .action(async () => void io.stdout.write(await client().metrics()));
  program
    .command('events')
    .description('Print the fault log as it comes (GET /events, of vaurien or vaurien server): one JSON line per exchange given a behavior, until interrupted')
    .action(async () => {
      for await (const record of client().events()) print(JSON.stringify(record));
      throw new Error('the control API ended the event stream (the proxy stopped?)');
    });
  return program;
}

/** `--for SECONDS` (or `--for=SECONDS`) taken out of set-behavior's option words. */
export function takeFor(words: readonly string[]): { words: string[]; seconds: number | undefined } {
  const rest: string[] = [];
  let seconds: number | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word !== '--for' && !word.startsWith('--for=')) {
      rest.push(word);
      continue;
    }
    const text = word === '--for' ? words[++i] : word.slice('--for='.length);
    seconds = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new UsageError(`set-behavior: --for expects seconds (more than 0), got ${text === undefined ? 'nothing' : `"${text}"`}`);
    }
  }
  return { words: rest, seconds };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`--port: expected a port in 1-65535, got "${value}"`);
  return port;
}

/**
 * `--sleep 2 --before=false --inject` → `{ sleep: '2', before: 'false', inject: 'true' }` for a
 * single behavior; in a weighted set each flag names its behavior: `--delay-sleep 2`. Values
 * stay strings: the server types them against the behavior's option table.
 */
export function behaviorOptions(spec: string, words: readonly string[]): Record<string, unknown> {
  const flat: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('--') || word.length === 2) throw new UsageError(`set-behavior: unexpected "${word}" (options are --OPTION VALUE)`);
    const equals = word.indexOf('=');
    const key = (equals === -1 ? word.slice(2) : word.slice(2, equals)).replaceAll('-', '_');
    const next = words[i + 1];
    if (equals !== -1) flat[key] = word.slice(equals + 1);
    else if (next === undefined || next.startsWith('--')) flat[key] = 'true'; // a bare boolean flag
    else {
      flat[key] = next;
      i++;
    }
  }
  const names = spec.split(',').map((part) => part.slice(part.indexOf(':') + 1).trim());
  const only = names.length === 1 ? names[0] : undefined;
  if (only !== undefined) {
    // `--delay-sleep` works for one behavior too, as in a set and in vaurien's own flags.
    const prefix = `${only.replaceAll('-', '_')}_`;
    return Object.fromEntries(Object.entries(flat).map(([key, value]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, value]));
  }
  // A set: `--delay-sleep` → { delay: { sleep } }, the longest behavior name that matches.
  const perBehavior: Record<string, Record<string, string>> = {};
  const byLength = [...names].sort((a, b) => b.length - a.length);
  for (const [key, value] of Object.entries(flat)) {
    const owner = byLength.find((name) => key.startsWith(`${name.replaceAll('-', '_')}_`));
    if (owner === undefined) {
      throw new UsageError(`set-behavior: in a weighted set, name each option's behavior: --NAME-OPTION (e.g. --${names[0]}-${key.replaceAll('_', '-')})`);
    }
    (perBehavior[owner] ??= {})[key.slice(owner.length + 1)] = value;
  }
  return perBehavior;
}

/**
 * The behavior in force as set-behavior's arguments, so it can be pasted back: `blackout`,
 * `delay --sleep 2 --before true`, `20:delay,10:error --delay-sleep 0.5 ... --error-warmup 0`.
 */
export function formatBehaviorState(state: BehaviorState): string {
  const single = state.behavior.split(',').length === 1;
  const words = [state.behavior];
  for (const [behavior, options] of Object.entries(state.options)) {
    for (const [option, value] of Object.entries(options)) {
      words.push(`--${single ? '' : `${behavior}-`}${option.replaceAll('_', '-')}`, shellWord(String(value)));
    }
  }
  // A timed setting: the time it has left (then `restores` comes back).
  if (state.remaining !== undefined) words.push('--for', String(state.remaining));
  return words.join(' ');
}

function describe(error: unknown): string {
  if (error instanceof ControlApiError) {
    const what = error.status === 401 ? 'the control API refused the token' : `the control API refused the request (${error.status})`;
    return `${what}: ${error.message}`;
  }
  if (error instanceof ControlApiUnreachableError || error instanceof UsageError) return error.message;
  return error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
}
