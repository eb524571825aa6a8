// `vaurien server`: a Toxiproxy-compatible server (SPEC section 11), started the way
// toxiproxy-server is: its single-dash flags (-host, -port, -config, -seed) work too, so a
// script that starts toxiproxy-server can start this instead. Runs until SIGINT/SIGTERM.
import { Command, CommanderError, Option } from 'commander';
import { createLogger, isLogLevel, LOG_LEVELS } from '../log.js';
import { createServer } from '../server/create-server.js';
import { VERSION } from '../version.js';
import { StopRequests } from './stop-requests.js';
import { ReportedUsageError, UsageError } from './usage-error.js';
import type { ProgramIo } from './vaurien-program.js';

/** Toxiproxy's flags, written with one dash or two (`-host=x` too); vaurien's own take one dash alike. */
const SINGLE_DASH = new Set(['host', 'port', 'config', 'seed', 'token', 'version', 'proxy-metrics', 'runtime-metrics', 'log-level', 'log-output', 'fault-log', 'fault-log-all']);

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  readonly config: string | undefined;
  readonly seed: number | undefined;
  readonly token: string | undefined;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logOutput: string;
  readonly faultLog: string | undefined;
  readonly faultLogAll: boolean;
}

/** Parses `vaurien server`'s arguments (after `server`); undefined when it only printed help or the version. */
export function parseServerArguments(argv: readonly string[], io: ProgramIo): ServerSettings | undefined {
  const normalized = argv.map((argument) => {
    const match = /^-([a-z-]+)(=.*)?$/.exec(argument);
    return match !== null && SINGLE_DASH.has(match[1] as string) ? `-${argument}` : argument;
  });
  let settings: ServerSettings | undefined;
  const program = new Command('vaurien server')
    .description("A Toxiproxy-compatible server: many named proxies driven by Toxiproxy's REST API, every vaurien behavior a toxic too")
    .version(`vaurien ${VERSION} (Toxiproxy API 2.12.0)`, '--version', 'Print the version and exit')
    .helpOption('--help', 'Show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`vaurien server: ${text.replace(/^error: /, '').trim()}\n`),
    })
    .addOption(new Option('--host <host>', 'Where the API listens').default('localhost'))
    .addOption(new Option('--port <port>', 'Port of the API').default('8474'))
    .addOption(new Option('--config <file>', 'JSON file of proxies to create at start (Toxiproxy format; an entry may carry "toxics")'))
    .addOption(new Option('--seed <n>', 'Seed of every random draw (toxicity, jitter, slicer sizes); printed at start'))
    .addOption(new Option('--token <token>', 'Every request needs Authorization: Bearer <token> (default: $VAURIEN_HTTP_TOKEN)'))
    .addOption(new Option('--log-level <level>', `Log level: ${LOG_LEVELS.join(', ')}`).default('info'))
    .addOption(new Option('--log-output <path>', 'Log file, or - for stderr').default('-'))
    .addOption(new Option('--fault-log <file>', 'Append a JSON line per faulted exchange of every proxy to FILE (- for stdout)'))
    .addOption(new Option('--fault-log-all', 'With --fault-log (and GET /events): a line for every exchange, dummy ones too'))
    .addOption(new Option('--proxy-metrics', 'Accepted for toxiproxy-server compatibility: /metrics is always on').hideHelp())
    .addOption(new Option('--runtime-metrics', 'Accepted for toxiproxy-server compatibility').hideHelp())
    .action((options: Record<string, string | boolean | undefined>) => {
      const text = (key: string): string | undefined => {
        const value = options[key];
        return typeof value === 'string' ? value : undefined;
      };
      const port = Number(text('port'));
      if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port: expected 0-65535, got "${text('port')}"`);
      const seedText = text('seed');
      const seed = seedText === undefined ? undefined : Number(seedText);
      if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new UsageError(`--seed: expected a whole number of at least 0, got "${seedText}"`);
      const level = text('logLevel') ?? 'info';
      if (!isLogLevel(level)) throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
      const token = text('token') ?? process.env['VAURIEN_HTTP_TOKEN'];
      settings = {
        host: text('host') ?? 'localhost',
        port,
        config: text('config'),
        // Seeds are 32-bit inside: a bigger one (toxiproxy-server's default is a nanosecond time) is folded.
        seed: seed === undefined ? undefined : seed % 0x1_0000_0000,
        token: token === '' ? undefined : token,
        logLevel: level,
        logOutput: text('logOutput') ?? '-',
        faultLog: text('faultLog'),
        faultLogAll: options['faultLogAll'] === true,
      };
    });
  try {
    program.parse([...normalized], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return undefined;
      throw new ReportedUsageError(error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  return settings;
}

/** Runs the server until a signal; resolves with the exit status. */
export async function runServerCommand(argv: readonly string[], io: ProgramIo): Promise<number> {
  const settings = parseServerArguments(argv, io);
  if (settings === undefined) return 0;
  const stops = new StopRequests();
  const log = createLogger(settings.logLevel, settings.logOutput);
  try {
    const server = await createServer({
      host: settings.host,
      port: settings.port,
      log,
      ...(settings.config !== undefined ? { config: settings.config } : {}),
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
      ...(settings.token !== undefined ? { token: settings.token } : {}),
      ...(settings.faultLog !== undefined ? { faultLog: settings.faultLog } : {}),
      faultLogAll: settings.faultLogAll,
    });
    const proxies = server.registry.all();
    io.stdout.write(
      `vaurien ${VERSION}: Toxiproxy-compatible server on ${server.url} (${proxies.length} ${proxies.length === 1 ? 'proxy' : 'proxies'}, seed ${server.seed})\n`,
    );
    for (const proxy of proxies) io.stdout.write(`  ${proxy.name}: ${proxy.enabled ? proxy.listen : 'disabled'} -> ${proxy.upstream}\n`);
    const reason = await stops.first;
    log.info(`${reason}: closing the server and its proxies`);
    await server.close();
    return 0;
  } finally {
    stops.dispose();
    await log.close();
  }
}

