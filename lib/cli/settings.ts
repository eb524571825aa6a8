// Merges defaults, the config file and the command line into the settings of a run.
// Precedence: command-line flags override the file, the file overrides defaults (the Python
// original did the reverse). Every value is typed against its option table, and an error
// names where the value came from (the flag, or the file's section and key).
import type { ConfigFile, ConfigValue } from '../config/ini-file.js';
import type { OptionSpec, OptionTable, OptionValue } from '../contract/options.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log.js';
import { parseCorsOrigins } from '../control/origin-policy.js';
import { parseOptionValue } from '../options/option-types.js';
import { parseBackendAddress, parseHostPort, type HostPort } from '../proxy/address.js';
import type { RawOptions } from '../proxy/proxy.js';
import { Behavior } from '../registry/behaviors.js';
import { Protocol } from '../registry/protocols.js';
import { coreOptions, RANDOM_SEED, type CoreOptions } from './core-options.js';
import { UsageError } from './usage-error.js';

/** A raw value and where it came from, for error messages. */
export interface RawSetting {
  readonly value: unknown;
  readonly where: string;
}

/** What the command line gave (only what was actually given). */
export interface CommandLineValues {
  readonly core: Readonly<Partial<Record<keyof CoreOptions, RawSetting>>>;
  /** behavior name → option → value, from `--behavior-NAME-OPTION` / `--handler-NAME-OPTION`. */
  readonly behaviors: Readonly<Record<string, Readonly<Record<string, RawSetting>>>>;
  /** protocol name → option → value, from `--protocol-NAME-OPTION`. */
  readonly protocols: Readonly<Record<string, Readonly<Record<string, RawSetting>>>>;
}

export interface RunSettings {
  readonly proxy: HostPort;
  readonly backend: HostPort;
  readonly protocol: string;
  readonly protocolOptions: RawOptions;
  readonly behavior: string;
  readonly behaviorOptions: Readonly<Record<string, RawOptions>>;
  readonly http: boolean;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly httpToken: string | undefined;
  /** Origins whose web pages may call the control API (`--http-cors`), normalized. */
  readonly httpCors: readonly string[];
  readonly stayConnected: boolean;
  readonly timeout: number;
  readonly backlog: number;
  readonly poolMaxSize: number;
  readonly poolTimeout: number;
  readonly logLevel: LogLevel;
  readonly logOutput: string;
  readonly grace: number;
  readonly seed: number | undefined;
  /** Processes serving the proxy port: 1 is this process, more a cluster (lib/cluster/). */
  readonly workers: number;
  /** Things worth a warning (unknown config keys and sections). */
  readonly warnings: readonly string[];
}

/** Keys of `[behavior:NAME]` that are not options. */
const PLUGIN_KEYS = new Set(['callable']);

export function resolveSettings(commandLine: CommandLineValues, config: ConfigFile | undefined, env = process.env): RunSettings {
  const warnings: string[] = [...(config?.unknownSections ?? []).map((section) => `${config?.path}: unknown section ${section}, ignored`)];
  const fileCore: Partial<Record<string, RawSetting>> = {};
  for (const [key, value] of Object.entries(config?.vaurien ?? {})) {
    if (!(key in coreOptions)) {
      warnings.push(`${config?.path}: [vaurien] unknown key "${key}", ignored`);
      continue;
    }
    fileCore[key] = { value: key === 'behavior' ? joinList(value, ',') : joinList(value, ' '), where: `${config?.path}: [vaurien] ${key}` };
  }
  const core = {} as Record<keyof CoreOptions, OptionValue>;
  for (const [key, spec] of Object.entries(coreOptions) as Array<[keyof CoreOptions, OptionSpec]>) {
    const given = commandLine.core[key] ?? fileCore[key];
    core[key] = given === undefined ? spec.default : parseOptionValue(spec, given.value, given.where);
  }
  const values = core as CoreOptions;
  if (!isLogLevel(values.log_level)) {
    throw new UsageError(`${whereOf(commandLine, fileCore, 'log_level')}: expected one of ${LOG_LEVELS.join(', ')}, got "${values.log_level}"`);
  }
  const protocol = Protocol.require(values.protocol, whereOf(commandLine, fileCore, 'protocol')).name;

  return {
    proxy: parseHostPort(values.proxy, whereOf(commandLine, fileCore, 'proxy')),
    backend: parseBackendAddress(values.backend, whereOf(commandLine, fileCore, 'backend')),
    protocol,
    protocolOptions: pluginOptions('protocol', commandLine.protocols, config?.protocols ?? {}, config?.path, warnings)[protocol] ?? {},
    behavior: values.behavior,
    behaviorOptions: pluginOptions('behavior', commandLine.behaviors, config?.behaviors ?? {}, config?.path, warnings),
    http: values.http,
    httpHost: values.http_host,
    httpPort: values.http_port,
    httpToken: values.http_token !== '' ? values.http_token : env['VAURIEN_HTTP_TOKEN'] || undefined,
    httpCors: parseCorsOrigins(values.http_cors, whereOf(commandLine, fileCore, 'http_cors')),
    stayConnected: values.stay_connected,
    timeout: values.timeout,
    backlog: values.backlog,
    poolMaxSize: values.pool_max_size,
    poolTimeout: values.pool_timeout,
    logLevel: values.log_level,
    logOutput: values.log_output,
    grace: values.grace,
    seed: values.seed === RANDOM_SEED ? undefined : values.seed,
    workers: values.workers,
    warnings,
  };
}

function whereOf(commandLine: CommandLineValues, fileCore: Partial<Record<string, RawSetting>>, key: keyof CoreOptions): string {
  return commandLine.core[key]?.where ?? fileCore[key]?.where ?? `--${key.replaceAll('_', '-')}`;
}

function joinList(value: ConfigValue, separator: string): string | boolean {
  return typeof value === 'object' ? value.join(separator) : value;
}

/**
 * Options per plugin name: the file's section, then the command line over it. Every value is
 * checked now (so a bad one fails at start, naming its flag or key); unknown keys in the file
 * are warned about and dropped, as are sections naming no known plugin.
 */
function pluginOptions(
  kind: 'behavior' | 'protocol',
  fromCommandLine: CommandLineValues['behaviors'],
  fromFile: Readonly<Record<string, Readonly<Record<string, ConfigValue>>>>,
  path: string | undefined,
  warnings: string[],
): Record<string, RawOptions> {
  const registry = kind === 'behavior' ? Behavior : Protocol;
  const result: Record<string, Record<string, OptionValue>> = {};
  for (const [name, section] of Object.entries(fromFile)) {
    const definition = registry.get(name);
    if (definition === undefined) {
      warnings.push(`${path}: [${kind}:${name}] names no known ${kind}, ignored`);
      continue;
    }
    const table = definition.options as OptionTable;
    for (const [key, value] of Object.entries(section)) {
      if (kind === 'behavior' && PLUGIN_KEYS.has(key)) continue;
      const spec = table[key];
      if (spec === undefined) {
        warnings.push(`${path}: [${kind}:${name}] unknown option "${key}", ignored (known: ${Object.keys(table).join(', ') || 'none'})`);
        continue;
      }
      (result[name] ??= {})[key] = parseOptionValue(spec, joinList(value, ','), `${path}: [${kind}:${name}] ${key}`);
    }
  }
  for (const [name, options] of Object.entries(fromCommandLine)) {
    const table = registry.require(name, `--${kind}-${name}`).options as OptionTable;
    for (const [key, given] of Object.entries(options)) {
      const spec = table[key];
      if (spec === undefined) throw new UsageError(`${given.where}: unknown option`);
      (result[name] ??= {})[key] = parseOptionValue(spec, given.value, given.where);
    }
  }
  return result;
}
