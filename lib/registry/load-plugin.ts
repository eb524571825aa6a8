// Loads behavior and protocol plugins named by reference: a file path (`./chaos/mine.js`,
// relative to `baseDir`: the working directory, or the config file's folder) or a package
// export (`my-package#slowdown`), checks their shape, and registers them so the CLI, the config
// file and the control API all see them. A plugin mistake is a UsageError naming the reference.
// A plugin's own `import 'vaurien'`/`'vaurien/rxjs'` reaches this running copy (plugin-imports.ts).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../cli/usage-error.js';
import type { BehaviorDefinition } from '../contract/behavior.js';
import { defineHookBehavior, isHookBehavior, normalizeOptionTable, type OptionTuple } from '../contract/hook-behavior.js';
import type { OptionSpec, OptionTable } from '../contract/options.js';
import type { ProtocolDefinition } from '../contract/protocol.js';
import { Behavior } from './behaviors.js';
import { enablePluginImports } from './plugin-imports.js';
import { Protocol } from './protocols.js';

const SCRIPT = /\.(c|m)?[jt]sx?$/;
/** An npm package name, scoped or not (`my-chaos`, `@team/chaos`). */
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/;
const OPTION_TYPES = new Set(['bool', 'int', 'float', 'string']);

/** True when a spec entry names a plugin to load rather than a registered name. */
export function isPluginReference(name: string): boolean {
  return name.startsWith('.') || isAbsolute(name) || name.includes('#') || SCRIPT.test(name);
}

/** Loads a behavior plugin and returns the name it is registered under (`registerAs` renames it). */
export async function loadBehaviorPlugin(reference: string, baseDir: string, registerAs?: string): Promise<string> {
  const loaded = instantiate(await importReference(reference, baseDir, isBehaviorShaped));
  const definition = toBehaviorDefinition(loaded, reference);
  const registered = registerAs !== undefined && registerAs !== definition.name ? { ...definition, name: registerAs } : definition;
  Behavior.register(registered);
  return registered.name;
}

/** Loads a protocol plugin and returns the name it is registered under. */
export async function loadProtocolPlugin(reference: string, baseDir: string): Promise<string> {
  const loaded = instantiate(await importReference(reference, baseDir, isProtocolShaped));
  if (!isProtocolShaped(loaded)) {
    if (typeof (loaded as { createFramer?: unknown } | null)?.createFramer === 'function') {
      throw new UsageError(`plugin "${reference}": createFramer(direction, options, context) is now createFramers(options, context), returning { request, response }`);
    }
    throw new UsageError(`plugin "${reference}": not a protocol definition (it needs a name, createFramers() and errorReply())`);
  }
  const source = loaded as ProtocolDefinition & { description?: string; options?: OptionTable; pairing?: ProtocolDefinition['pairing'] };
  const options = checkOptionTable(source.options ?? {}, reference);
  const pairing = source.pairing ?? 'latest';
  if (pairing !== 'latest' && pairing !== 'ordered') throw new UsageError(`plugin "${reference}": pairing must be "ordered" or "latest", got "${String(pairing)}"`);
  const definition: ProtocolDefinition = {
    name: source.name,
    description: source.description ?? `${source.name} (plugin)`,
    options,
    pairing,
    ...(source.serverFirst !== undefined ? { serverFirst: source.serverFirst } : {}),
    createFramers: (values, context) => source.createFramers(values, context),
    errorReply: (request, rng) => source.errorReply(request, rng),
    ...(typeof source.corrupt === 'function' ? { corrupt: source.corrupt.bind(source) } : {}),
    ...(typeof source.unavailableReply === 'function' ? { unavailableReply: source.unavailableReply.bind(source) } : {}),
  };
  return Protocol.register(definition).name;
}

/**
 * True when `name` is no registered plugin but an installed package, found from `baseDir`:
 * `--behavior 20:my-chaos` then loads it as `my-chaos` (its default or only plugin export).
 */
export function isUnregisteredPackage(name: string, registered: boolean, baseDir: string): boolean {
  if (registered || !PACKAGE_NAME.test(name)) return false;
  try {
    locate(name, baseDir, name);
    return true;
  } catch {
    return false;
  }
}

/** Loads every plugin reference of a weighted spec; returns the spec with registered names. */
export async function resolveBehaviorSpecPlugins(spec: string, baseDir: string): Promise<string> {
  const parts = await Promise.all(
    spec.split(',').map(async (part) => {
      const colon = part.indexOf(':');
      const weight = colon === -1 ? undefined : part.slice(0, colon);
      const name = (colon === -1 ? part : part.slice(colon + 1)).trim();
      if (!isPluginReference(name) && !isUnregisteredPackage(name, Behavior.get(name) !== undefined, baseDir)) return part;
      const registered = await loadBehaviorPlugin(name, baseDir);
      return weight === undefined ? registered : `${weight}:${registered}`;
    }),
  );
  return parts.join(',');
}

/**
 * Any behavior shape a plugin may export, as a definition: a definition (operator factory),
 * a hook-style object (`onBeforeHandle` / `onAfterHandle`), or an instance of a class of either.
 */
export function toBehaviorDefinition(value: unknown, reference: string): BehaviorDefinition {
  if (isHookBehavior(value)) {
    const name = nameOf(value, reference);
    const options = checkOptionTable(value.options ?? {}, reference);
    // The hooks are called on `value` itself, so a class instance keeps its `this`.
    return { ...defineHookBehavior(value), name, options };
  }
  const source = value as Partial<BehaviorDefinition> | undefined;
  if (typeof source !== 'object' || source === null || typeof source.operator !== 'function') {
    throw new UsageError(
      `plugin "${reference}": not a behavior (export a definition with name, options and operator(), or onBeforeHandle/onAfterHandle hooks, also spelled on_before_handle/on_after_handle)`,
    );
  }
  const operator = source.operator;
  return {
    name: nameOf(source, reference),
    description: typeof source.description === 'string' ? source.description : `${String(source.name)} (plugin)`,
    options: checkOptionTable(source.options ?? {}, reference),
    operator: (context) => operator.call(source, context),
  };
}

async function importReference(reference: string, baseDir: string, wanted: (value: unknown) => boolean): Promise<unknown> {
  const hash = reference.lastIndexOf('#');
  const modulePart = hash === -1 ? reference : reference.slice(0, hash);
  const exportName = hash === -1 ? undefined : reference.slice(hash + 1);
  const url = locate(modulePart, baseDir, reference);
  enablePluginImports(); // `vaurien`, `vaurien/rxjs` resolve to this copy wherever the file lies
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`plugin "${reference}": cannot load it: ${firstLine(error)}`);
  }
  if (exportName !== undefined && exportName !== '') {
    if (!(exportName in loaded)) {
      throw new UsageError(`plugin "${reference}": the module has no export "${exportName}" (it has: ${Object.keys(loaded).join(', ') || 'none'})`);
    }
    return loaded[exportName];
  }
  if (loaded['default'] !== undefined) return loaded['default'];
  // Without `#export`: the only export that looks like a plugin of the wanted kind.
  const candidates = Object.values(loaded).filter((value) => wanted(instantiateQuietly(value)));
  if (candidates.length === 1) return candidates[0];
  throw new UsageError(
    candidates.length === 0
      ? `plugin "${reference}": the module exports no plugin`
      : `plugin "${reference}": the module exports several plugins; name one with "${modulePart}#NAME" (exports: ${Object.keys(loaded).join(', ')})`,
  );
}

/** A file URL for a path (relative to `baseDir`) or a package specifier resolved from `baseDir`. */
function locate(modulePart: string, baseDir: string, reference: string): string {
  const asPath = resolve(baseDir, modulePart);
  if (modulePart.startsWith('.') || isAbsolute(modulePart)) {
    if (!existsSync(asPath)) throw new UsageError(`plugin "${reference}": cannot load it: no such file ${asPath}`);
    return pathToFileURL(asPath).href;
  }
  if (SCRIPT.test(modulePart) && existsSync(asPath)) return pathToFileURL(asPath).href; // `chaos/mine.js`
  try {
    return pathToFileURL(createRequire(join(baseDir, 'noop.js')).resolve(modulePart)).href;
  } catch {
    // An ESM-only package (no "require" condition): find it and read its entry point ourselves.
  }
  const entry = resolveEsmPackage(modulePart, baseDir);
  if (entry === undefined) throw new UsageError(`plugin "${reference}": cannot find module "${modulePart}" from ${baseDir}`);
  return pathToFileURL(entry).href;
}

/** `pkg` or `pkg/sub` (scoped too) found in a node_modules folder above `baseDir`. */
function resolveEsmPackage(specifier: string, baseDir: string): string | undefined {
  const parts = specifier.split('/');
  const packageName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  const subpath = `.${specifier.slice(packageName.length)}`;
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const root = join(dir, 'node_modules', packageName);
    if (existsSync(join(root, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
      const target = exportTarget(manifest.exports, subpath) ?? (subpath === '.' ? (manifest.module ?? manifest.main ?? 'index.js') : subpath);
      const file = join(root, target);
      return existsSync(file) ? file : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (exports === undefined || exports === null) return undefined;
  if (typeof exports === 'string') return subpath === '.' ? exports : undefined;
  if (Array.isArray(exports)) return exportTarget(exports[0], subpath);
  if (typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  const isSubpathMap = Object.keys(map).some((key) => key.startsWith('.'));
  if (isSubpathMap) return exportTarget(map[subpath], '.');
  for (const condition of ['import', 'node', 'default']) {
    if (condition in map) return exportTarget(map[condition], '.');
  }
  return undefined;
}

/** A class (the original registered classes) is instantiated once; anything else is used as is. */
function instantiate(value: unknown): unknown {
  if (typeof value !== 'function' || !isClassLike(value as Function)) return value;
  const Plugin = value as new () => object;
  const instance = new Plugin() as Record<string, unknown>;
  const statics = value as unknown as Record<string, unknown>;
  // `name` and `options` may sit on the class (static) or on the instance.
  if (typeof instance['name'] !== 'string') Object.defineProperty(instance, 'name', { value: statics['name'], enumerable: true });
  if (instance['options'] === undefined && statics['options'] !== undefined) instance['options'] = statics['options'];
  if (instance['description'] === undefined && typeof statics['description'] === 'string') instance['description'] = statics['description'];
  return instance;
}

function instantiateQuietly(value: unknown): unknown {
  try {
    return instantiate(value);
  } catch {
    return undefined;
  }
}

function isClassLike(fn: Function): boolean {
  const prototype = (fn as { prototype?: Record<string, unknown> }).prototype;
  if (prototype === undefined) return false;
  return ['operator', 'onBeforeHandle', 'onAfterHandle', 'on_before_handle', 'on_after_handle', 'createFramers', 'createFramer'].some(
    (method) => typeof prototype[method] === 'function',
  );
}

function isBehaviorShaped(value: unknown): boolean {
  return isHookBehavior(value) || (typeof value === 'object' && value !== null && typeof (value as BehaviorDefinition).operator === 'function');
}

function isProtocolShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ProtocolDefinition>;
  return typeof candidate.createFramers === 'function' && typeof candidate.errorReply === 'function';
}

function nameOf(value: { name?: unknown }, reference: string): string {
  if (typeof value.name !== 'string' || value.name === '') throw new UsageError(`plugin "${reference}": it needs a string "name"`);
  return value.name;
}

/** Checks a plugin's option table (or the original's tuples) so --help, flags and the API can trust it. */
function checkOptionTable(options: unknown, reference: string): OptionTable {
  if (typeof options !== 'object' || options === null) throw new UsageError(`plugin "${reference}": "options" must be an object`);
  let table: OptionTable;
  try {
    table = normalizeOptionTable(options as Record<string, OptionSpec | OptionTuple>, reference);
  } catch (error) {
    throw asUsageError(error, reference);
  }
  const checked: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries(table)) {
    if (typeof spec !== 'object' || spec === null || !OPTION_TYPES.has(spec.type)) {
      throw new UsageError(`plugin "${reference}": option "${name}" needs a type (bool, int, float or string)`);
    }
    const expected = spec.type === 'bool' ? 'boolean' : spec.type === 'string' ? 'string' : 'number';
    if (typeof spec.default !== expected) {
      throw new UsageError(`plugin "${reference}": option "${name}" is ${spec.type} but its default is ${JSON.stringify(spec.default)}`);
    }
    checked[name] = typeof spec.description === 'string' ? spec : { ...spec, description: name };
  }
  return checked;
}

function asUsageError(error: unknown, reference: string): UsageError {
  return error instanceof UsageError ? error : new UsageError(`plugin "${reference}": ${firstLine(error)}`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
