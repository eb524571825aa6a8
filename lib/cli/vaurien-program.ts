// The `vaurien` command line: every flag of the original (generated from the option tables,
// so a plugin's options get flags and --help lines too), the config file, the `demo` command.
// Thin: it parses, then hands over to lib/ (run-proxy.ts, demo/). User mistakes throw UsageError.
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { readConfigFile, type ConfigFile } from '../config/ini-file.js';
import type { OptionSpec, OptionTable } from '../contract/options.js';
import { Behavior } from '../registry/behaviors.js';
import { isPluginReference, isUnregisteredPackage, loadBehaviorPlugin, loadProtocolPlugin, resolveBehaviorSpecPlugins } from '../registry/load-plugin.js';
import { Protocol } from '../registry/protocols.js';
import { VERSION } from '../version.js';
import { coreOptions, type CoreOptions } from './core-options.js';
import type { DemoOptions } from '../demo/run-demo.js';
import { describePlugins } from './plugin-help.js';
import { prescanArguments } from './prescan.js';
import { resolveSettings, type CommandLineValues, type RawSetting, type RunSettings } from './settings.js';
import { ReportedUsageError, UsageError } from './usage-error.js';

export interface ProgramIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** What to do once the command line is understood. */
export type Invocation =
  | { readonly command: 'proxy'; readonly settings: RunSettings }
  | ({ readonly command: 'demo'; readonly settings: RunSettings } & DemoOptions)
  | { readonly command: 'exit'; readonly code: number };

export const DEMO_BEHAVIOR = '20:delay,10:error';
const DEMO_DURATION_SECONDS = 10;
const DEMO_CONCURRENCY = 8;
const DEMO_HELP = `
The proxy's flags work here too (see vaurien --help): --behavior and its options, --seed,
--http, --timeout, --stay-connected, --config... and:
  --backend <host:port>  an HTTP server of yours instead of the built-in backend
  --proxy <host:port>    where the proxy listens (default: a free port on 127.0.0.1)
  --protocol <name>      http (default) or tcp: the demo's traffic is HTTP
`;

/** Parses `argv` (without node and script): loads the config file and plugins it names. */
export async function parseCommandLine(argv: readonly string[], io: ProgramIo): Promise<Invocation> {
  const early = prescanArguments(argv);
  const loaded = early.config !== undefined ? readConfigFile(early.config) : undefined;
  const renamed = await loadNamedPlugins(early, loaded);
  const config = loaded !== undefined ? renameConfigPlugins(loaded, renamed) : undefined;

  const generated: GeneratedFlag[] = [];
  let invocation: Invocation | undefined;
  const program = new Command('vaurien')
    .description('A chaos TCP proxy: forwards --proxy to --backend and, on a weighted share of the traffic, delays, errors, hangs or cuts it.')
    .version(VERSION, '--version', 'Print the version and exit')
    .helpOption('-h, --help', 'Show this help')
    // `vaurien help [demo]` as well as --help: without it, "help" was an excess argument.
    .helpCommand('help [command]', 'Show this help, or a command\'s')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One line, no usage dump: "vaurien: unknown option '--nope'".
      outputError: (text, write) => write(`vaurien: ${text.replace(/^error: /, '').trim()}\n`),
    });
  addCoreFlags(program);
  addPluginFlags(program, generated);
  program.addHelpText('after', () => `\n${describePlugins()}`);

  program.action(() => {
    invocation = { command: 'proxy', settings: resolveSettings(renamePlugins(collect(program, generated), renamed), config) };
  });
  program
    .command('demo')
    .description(`Start a built-in HTTP backend with the proxy in front of it (${DEMO_BEHAVIOR} unless --behavior), send traffic and print what the client saw`)
    // Defaults in the descriptions: commander would show them quoted ("10").
    .addOption(new Option('--duration <seconds>', `How long to send traffic (default: ${DEMO_DURATION_SECONDS})`))
    .addOption(new Option('--concurrency <n>', `Clients sending at once (default: ${DEMO_CONCURRENCY})`))
    .addHelpText('after', DEMO_HELP)
    .action((options: { duration?: string; concurrency?: string }) => {
      const values = renamePlugins(collect(program, generated), renamed);
      const behaviorGiven = values.core.behavior !== undefined || config?.vaurien['behavior'] !== undefined;
      const core = behaviorGiven ? values.core : { ...values.core, behavior: { value: DEMO_BEHAVIOR, where: 'demo' } };
      const given = (key: 'proxy' | 'backend' | 'protocol' | 'workers'): { [k: string]: string } => {
        const where = values.core[key]?.where ?? (config?.vaurien[key] !== undefined ? `${config.path}: [vaurien] ${key}` : undefined);
        return where === undefined ? {} : { [key]: where };
      };
      invocation = {
        command: 'demo',
        settings: resolveSettings({ ...values, core }, config),
        durationSeconds: options.duration === undefined ? DEMO_DURATION_SECONDS : positiveNumber(options.duration, '--duration'),
        concurrency: options.concurrency === undefined ? DEMO_CONCURRENCY : Math.floor(positiveNumber(options.concurrency, '--concurrency')),
        given: { ...given('proxy'), ...given('backend'), ...given('protocol'), ...given('workers') },
        args: withoutCommandWord(argv, 'demo'),
      };
    });

  // Listed for --help only: bin/vaurien.ts hands `vaurien server …` to server-program.ts first.
  program.command('server').description("Run a Toxiproxy-compatible server (Toxiproxy's REST API and flags; see vaurien server --help)");

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return { command: 'exit', code: 0 };
      throw new ReportedUsageError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  return invocation ?? { command: 'exit', code: 0 };
}

/**
 * Loads what the protocol, the behavior spec and `callable` keys name before flags are built;
 * returns each --protocol/--behavior value that named plugins → the same with registered names.
 */
async function loadNamedPlugins(early: ReturnType<typeof prescanArguments>, config: ConfigFile | undefined): Promise<Map<string, string>> {
  const renamed = new Map<string, string>();
  const configDir = config !== undefined ? dirname(resolve(config.path)) : process.cwd();
  for (const [name, section] of Object.entries(config?.behaviors ?? {})) {
    const callable = section['callable'];
    if (typeof callable === 'string') await loadBehaviorPlugin(callable, configDir, name);
  }
  const protocols: Array<[string, string]> = [];
  if (typeof config?.vaurien['protocol'] === 'string') protocols.push([config.vaurien['protocol'], configDir]);
  if (early.protocol !== undefined) protocols.push([early.protocol, process.cwd()]);
  for (const [reference, baseDir] of protocols) {
    if (isPluginReference(reference) || isUnregisteredPackage(reference, Protocol.get(reference) !== undefined, baseDir)) {
      renamed.set(reference, await loadProtocolPlugin(reference, baseDir));
    }
  }
  const specs: Array<[string, string]> = [];
  const fileBehavior = config?.vaurien['behavior'];
  if (fileBehavior !== undefined && typeof fileBehavior !== 'boolean') {
    specs.push([typeof fileBehavior === 'string' ? fileBehavior : fileBehavior.join(','), configDir]);
  }
  if (early.behavior !== undefined) specs.push([early.behavior, process.cwd()]);
  for (const [spec, baseDir] of specs) renamed.set(spec, await resolveBehaviorSpecPlugins(spec, baseDir));
  return renamed;
}

/** `--behavior 20:./mine.js` → `20:mine`: the proxy knows plugins by their registered names. */
function renamePlugins(values: CommandLineValues, renamed: ReadonlyMap<string, string>): CommandLineValues {
  const core = { ...values.core };
  for (const key of ['behavior', 'protocol'] as const) {
    const given = core[key];
    const name = given !== undefined ? renamed.get(String(given.value)) : undefined;
    if (given !== undefined && name !== undefined) core[key] = { ...given, value: name };
  }
  return { ...values, core };
}

function renameConfigPlugins(config: ConfigFile, renamed: ReadonlyMap<string, string>): ConfigFile {
  const vaurien = { ...config.vaurien };
  for (const key of ['behavior', 'protocol']) {
    const value = vaurien[key];
    const name = typeof value === 'string' ? renamed.get(value) : Array.isArray(value) ? renamed.get(value.join(',')) : undefined;
    if (name !== undefined) vaurien[key] = name;
  }
  return { ...config, vaurien };
}

function addCoreFlags(program: Command): void {
  for (const [key, spec] of Object.entries(coreOptions) as Array<[keyof CoreOptions, OptionSpec]>) {
    const flag = `--${key.replaceAll('_', '-')}`;
    const shown = key === 'seed' ? 'random' : JSON.stringify(spec.default);
    const option =
      spec.type === 'bool'
        ? new Option(`${flag} [true|false]`, `${spec.description} (default: ${shown})`)
        : new Option(`${flag} <${CORE_VALUE_NAMES[key] ?? valueName(spec)}>`, `${spec.description} (default: ${shown})`);
    program.addOption(option);
  }
  program.addOption(new Option('--config <file>', 'INI config file; command-line flags override it'));
}

interface GeneratedFlag {
  readonly option: Option;
  readonly kind: 'behavior' | 'protocol';
  readonly name: string;
  readonly key: string;
}

/** `--behavior-NAME-OPTION`, `--handler-NAME-OPTION`, `--protocol-NAME-OPTION` for every plugin. */
function addPluginFlags(program: Command, generated: GeneratedFlag[]): void {
  const plugins: Array<['behavior' | 'protocol', string, OptionTable]> = [
    ...Behavior.all().map((definition): ['behavior', string, OptionTable] => ['behavior', definition.name, definition.options as OptionTable]),
    ...Protocol.all().map((definition): ['protocol', string, OptionTable] => ['protocol', definition.name, definition.options as OptionTable]),
  ];
  const seen = new Set<string>();
  for (const [kind, name, table] of plugins) {
    for (const [key, spec] of Object.entries(table) as Array<[string, OptionSpec]>) {
      const prefixes = kind === 'behavior' ? ['behavior', 'handler'] : ['protocol'];
      const spellings = new Set([key.replaceAll('_', '-'), key]);
      // `limit_data` takes `--behavior-limit_data-bytes` and `--behavior-limit-data-bytes`.
      const names = new Set([name, name.replaceAll('_', '-')]);
      for (const prefix of prefixes) {
        for (const spelling of spellings) {
          for (const named of names) {
            const flag = `--${prefix}-${named}-${spelling}`;
            if (seen.has(flag)) continue;
            seen.add(flag);
            const option =
              spec.type === 'bool'
                ? new Option(`${flag} [true|false]`, spec.description)
                : new Option(`${flag} <${valueName(spec)}>`, spec.description);
            // Listed per plugin at the end of --help instead of in the long flag list.
            program.addOption(option.hideHelp());
            generated.push({ option, kind, name, key });
          }
        }
      }
    }
  }
}

const CORE_VALUE_NAMES: Partial<Record<keyof CoreOptions, string>> = {
  proxy: 'host:port',
  backend: 'host:port',
  protocol: 'name',
  behavior: 'spec',
  tls_cert: 'file',
  tls_key: 'file',
  backend_tls_ca: 'file',
  http_host: 'host',
  http_token: 'token',
  http_cors: 'origin',
  log_level: 'level',
  log_output: 'path',
  fault_log: 'file',
};

function valueName(spec: OptionSpec): string {
  return spec.type === 'int' ? 'n' : spec.type === 'float' ? 'seconds' : 'value';
}

/** The values actually given on the command line, each with the flag that gave it. */
function collect(program: Command, generated: readonly GeneratedFlag[]): CommandLineValues {
  const opts = program.opts<Record<string, unknown>>();
  const core: Partial<Record<keyof CoreOptions, RawSetting>> = {};
  for (const key of Object.keys(coreOptions) as Array<keyof CoreOptions>) {
    const flag = `--${key.replaceAll('_', '-')}`;
    const value = opts[camel(flag)];
    if (value !== undefined) core[key] = { value, where: flag };
  }
  const behaviors: Record<string, Record<string, RawSetting>> = {};
  const protocols: Record<string, Record<string, RawSetting>> = {};
  for (const { option, kind, name, key } of generated) {
    const value = opts[option.attributeName()];
    if (value === undefined) continue;
    const target = kind === 'behavior' ? behaviors : protocols;
    (target[name] ??= {})[key] = { value, where: option.long ?? option.flags };
  }
  return { core, behaviors, protocols };
}

function camel(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** `argv` without the command word (`demo`): the flags as given, for the demo's closing hints. */
function withoutCommandWord(argv: readonly string[], word: string): string[] {
  const at = argv.indexOf(word);
  return at === -1 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
}

function positiveNumber(text: string, where: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${where}: expected a positive number, got "${text}"`);
  return value;
}
