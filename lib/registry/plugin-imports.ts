// Makes `import ... from 'vaurien'`, `'vaurien/rxjs'` (and bare `'rxjs'`) work in plugin files
// that lie outside any node_modules: registers plugin-resolve-hook.ts once per process, before
// the first plugin is imported. Without module.register (Node < 20.6) plugins resolve as Node does.
import * as nodeModule from 'node:module';
import type { PluginResolveData } from './plugin-resolve-hook.js';

let registered = false;

export function enablePluginImports(): void {
  if (registered) return;
  registered = true;
  if (typeof nodeModule.register !== 'function') return;
  nodeModule.register<PluginResolveData>('./plugin-resolve-hook.js', import.meta.url, { data: { base: import.meta.url } });
}
