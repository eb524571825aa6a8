// Loads behavior and protocol plugins named by reference: a file path (`./chaos/mine.js`,
// relative to `baseDir`) or a package export (`my-package#slowdown`), and registers them so
// the CLI, the config file and the control API all see them.
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../cli/usage-error.js';
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { ProtocolDefinition } from '../contract/protocol.js';
import { Behavior } from './behaviors.js';
import { Protocol } from './protocols.js';

/** True when a spec entry names a plugin to load rather than a registered name. */
export function isPluginReference(name: string): boolean {
  return name.startsWith('.') || isAbsolute(name) || name.includes('#') || /\.(c|m)?[jt]s$/.test(name);
}

async function importReference(reference: string, baseDir: string): Promise<unknown> {
  const [modulePart = '', exportName] = reference.split('#');
  let url: string;
  if (modulePart.startsWith('.') || isAbsolute(modulePart)) {
    url = pathToFileURL(resolve(baseDir, modulePart)).href;
  } else {
    try {
      url = pathToFileURL(createRequire(resolve(baseDir, 'noop.js')).resolve(modulePart)).href;
    } catch {
      throw new UsageError(`plugin "${reference}": cannot find module "${modulePart}" from ${baseDir}`);
    }
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`plugin "${reference}": cannot load it: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (exportName !== undefined) {
    if (!(exportName in loaded)) throw new UsageError(`plugin "${reference}": the module has no export "${exportName}"`);
    return loaded[exportName];
  }
  return loaded['default'] ?? firstDefinition(loaded);
}

/** Without `#export`: the default export, or the only exported object with a name. */
function firstDefinition(loaded: Record<string, unknown>): unknown {
  const candidates = Object.values(loaded).filter((value) => typeof value === 'object' && value !== null && 'name' in value);
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Loads a behavior plugin and returns the name it is registered under (`registerAs` renames it). */
export async function loadBehaviorPlugin(reference: string, baseDir: string, registerAs?: string): Promise<string> {
  const definition = await importReference(reference, baseDir);
  if (typeof definition !== 'object' || definition === null || typeof (definition as BehaviorDefinition).operator !== 'function') {
    throw new UsageError(`plugin "${reference}": not a behavior definition (it needs a name, options and operator())`);
  }
  const behavior = definition as BehaviorDefinition;
  const registered = registerAs !== undefined && registerAs !== behavior.name ? { ...behavior, name: registerAs } : behavior;
  Behavior.register(registered);
  return registered.name;
}

export async function loadProtocolPlugin(reference: string, baseDir: string): Promise<string> {
  const definition = await importReference(reference, baseDir);
  if (typeof definition !== 'object' || definition === null || typeof (definition as ProtocolDefinition).createFramer !== 'function') {
    throw new UsageError(`plugin "${reference}": not a protocol definition (it needs a name, options, createFramer() and errorReply())`);
  }
  return Protocol.register(definition as ProtocolDefinition).name;
}

/** Loads every plugin reference of a weighted spec; returns the spec with registered names. */
export async function resolveBehaviorSpecPlugins(spec: string, baseDir: string): Promise<string> {
  const parts = await Promise.all(
    spec.split(',').map(async (part) => {
      const colon = part.indexOf(':');
      const weight = colon === -1 ? undefined : part.slice(0, colon);
      const name = (colon === -1 ? part : part.slice(colon + 1)).trim();
      if (!isPluginReference(name)) return part;
      const registered = await loadBehaviorPlugin(name, baseDir);
      return weight === undefined ? registered : `${weight}:${registered}`;
    }),
  );
  return parts.join(',');
}
