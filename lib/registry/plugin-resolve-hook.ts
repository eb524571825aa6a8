// A resolve hook (module.register) letting a plugin file anywhere import the vaurien running it.
// Invariant: `vaurien`, `vaurien/*` always resolve to the running copy (one registry, one RxJS);
// bare `rxjs`, `rxjs/*` resolve as Node would, and only if Node finds none, to the running RxJS.
import type { InitializeHook, ResolveFnOutput, ResolveHook, ResolveHookContext } from 'node:module';

/**
 * The package's exports, as paths relative to this folder (lib/registry/ in the sources,
 * dist/lib/registry/ once built): resolved from here, they reach the very modules that run, even
 * under a TypeScript loader where `vaurien` itself would resolve to dist/. A test holds this
 * table equal to package.json's `exports`.
 */
export const RUNNING_ENTRIES: Readonly<Record<string, string>> = {
  vaurien: '../index.js',
  'vaurien/rxjs': '../rxjs.js',
  'vaurien/rxjs/testing': '../rxjs-testing.js',
};

/** What the registering thread tells the hook: a module URL in this folder. */
export interface PluginResolveData {
  readonly base: string;
}

let base: string | undefined;

export const initialize: InitializeHook<PluginResolveData> = (data) => {
  base = data.base;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (base === undefined) return nextResolve(specifier, context);
  const fromRunningCopy = (target: string): Promise<ResolveFnOutput> | ResolveFnOutput =>
    nextResolve(target, { ...context, parentURL: base } satisfies Partial<ResolveHookContext>);
  // Always the running copy, even if another vaurien is installed next to the plugin: a plugin
  // that registers itself or checks `instanceof` must meet the registries and classes in use.
  const entry = RUNNING_ENTRIES[specifier];
  if (entry !== undefined) return fromRunningCopy(entry);
  if (specifier.startsWith('vaurien/')) return fromRunningCopy(specifier); // package.json and the like, by self-reference
  if (specifier !== 'rxjs' && !specifier.startsWith('rxjs/')) return nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, context); // a plugin that ships its own rxjs keeps it
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return fromRunningCopy(specifier);
  }
};
