// Merges defaults, the config file and the command line into the settings of a run.
// Precedence: command-line flags override the file, the file overrides defaults (the Python
// original did the reverse). Every value is typed against its option table, and an error
// names where the value came from (the flag, or the file's section and key).
import type { ConfigFile, ConfigValue } from '../config/ini-file.js';
import type { OptionSpec, OptionTable, OptionValue } from '../contract/options.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log.js';
import { parseWeightedSpec } from '../choose/weighted-spec.js';
import { parseCorsOrigins } from '../control/origin-policy.js';
import { parseOptionValue } from '../options/option-types.js';
import { parseBackendAddress, parseHostPort, type HostPort } from '../proxy/address.js';
import type { RawOptions } from '../proxy/proxy.js';
import type { BackendTlsOptions, ProxyTlsOptions } from '../proxy/tls-options.js';
import { Behavior } from '../registry/behaviors.js';
import { Protocol } from '../registry/protocols.js';
import { coreOptions, RANDOM_SEED, type CoreOptions } from './core-options.js';
import { resolveTlsSettings } from './tls-settings.js';
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
  /** TLS toward clients (--tls-cert, --tls-key), as checked file paths; undefined: plaintext. */
  readonly tls: ProxyTlsOptions | undefined;
  /** TLS toward the backend (--backend-tls and its CA); undefined: plaintext. */
  readonly backendTls: BackendTlsOptions | undefined;
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
  /** Where the fault log goes (`-`: stdout); undefined: no fault log. */
  readonly faultLog: string | undefined;
  /** The fault log records dummy exchanges too. */
  readonly faultLogAll: boolean;
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
  const protocolWhere = whereOf(commandLine, fileCore, 'protocol');
  const protocol = Protocol.require(values.protocol, protocolWhere).name;
  const behaviorWhere = whereOf(commandLine, fileCore, 'behavior');
  const behaviorNames = behaviorSpecNames(values.behavior, behaviorWhere);
  const protocolOptions = pluginOptions('protocol', commandLine.protocols, config?.protocols ?? {}, config?.path, warnings);
  const behaviorOptions = pluginOptions('behavior', commandLine.behaviors, config?.behaviors ?? {}, config?.path, warnings);
  checkOptionsInUse({ commandLine, config, protocol, protocolWhere: `${protocolWhere} ${protocol}`, behaviorNames, behaviorWhere: `${behaviorWhere} ${values.behavior}`, http: values.http, warnings });
  const { tls, backendTls } = resolveTlsSettings(values, {
    where: (key) => whereOf(commandLine, fileCore, key),
    file: (key) => (commandLine.core[key] === undefined && fileCore[key] !== undefined ? config?.path : undefined),
  });

  return {
    proxy: parseHostPort(values.proxy, whereOf(commandLine, fileCore, 'proxy')),
    backend: parseBackendAddress(values.backend, whereOf(commandLine, fileCore, 'backend')),
    protocol,
    protocolOptions: protocolOptions[protocol] ?? {},
    behavior: values.behavior,
    behaviorOptions,
    tls,
    backendTls,
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
    faultLog: values.fault_log === '' ? undefined : values.fault_log,
    faultLogAll: values.fault_log_all,
    warnings,
  };
}

/** The behavior names of the spec; an unknown one is refused with how plugins are named. */
function behaviorSpecNames(spec: string, where: string): string[] {
  const names = parseWeightedSpec(spec, where).map((entry) => entry.name);
  for (const name of names) {
    if (Behavior.get(name) !== undefined) continue;
    throw new UsageError(
      `${where}: unknown behavior "${name}" (known: ${Behavior.names().join(', ')}); a plugin is named by its file ` +
        `(./${name}.js) or an installed package (${name}, ${name}#EXPORT), and no package "${name}" was found`,
    );
  }
  return names;
}

interface InUse {
  readonly commandLine: CommandLineValues;
  readonly config: ConfigFile | undefined;
  readonly protocol: string;
  /** `--protocol redis`, or the config key that chose it. */
  readonly protocolWhere: string;
  readonly behaviorNames: readonly string[];
  readonly behaviorWhere: string;
  readonly http: boolean;
  readonly warnings: string[];
}

/**
 * Options for a plugin the run does not use. A protocol's flags are refused (the protocol never
 * changes while vaurien runs, so they could only be a slip); a config section for another
 * protocol is warned about (one file may serve runs of several). Options of a behavior outside
 * the mix are warned about: the control API may switch to it later, and then they apply.
 */
function checkOptionsInUse({ commandLine, config, protocol, protocolWhere, behaviorNames, behaviorWhere, http, warnings }: InUse): void {
  for (const [name, options] of Object.entries(commandLine.protocols)) {
    const [key, given] = Object.entries(options)[0] ?? [];
    if (name === protocol || key === undefined || given === undefined) continue;
    const same = Object.hasOwn(Protocol.get(protocol)?.options ?? {}, key) ? `; for ${protocol}, --protocol-${protocol}-${key.replaceAll('_', '-')}` : '';
    throw new UsageError(`${given.where}: an option of protocol ${name}, but the protocol is ${protocol} (${protocolWhere}): it would be ignored${same}`);
  }
  for (const name of Object.keys(config?.protocols ?? {})) {
    if (name !== protocol && Protocol.get(name) !== undefined) warnings.push(`${config?.path}: [protocol:${name}] ignored: the protocol is ${protocol} (${protocolWhere})`);
  }
  const effect = (name: string): string => (http ? `kept for when the control API switches to ${name}` : 'no effect (without --http the mix never changes)');
  const outside = new Map<string, string>();
  for (const [name, options] of Object.entries(commandLine.behaviors)) {
    const first = Object.values(options)[0];
    if (first !== undefined) outside.set(name, first.where);
  }
  for (const [name, section] of Object.entries(config?.behaviors ?? {})) {
    if (!outside.has(name) && Object.keys(section).some((key) => !PLUGIN_KEYS.has(key))) outside.set(name, `${config?.path}: [behavior:${name}]`);
  }
  for (const [name, where] of outside) {
    if (!behaviorNames.includes(name) && Behavior.get(name) !== undefined) warnings.push(`${where}: ${name} is not in the behavior mix (${behaviorWhere}): ${effect(name)}`);
  }
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
