// The behaviors vaurien knows: built-ins (registered by plugins/index.ts) and plugins.
// A plugin written in the original's hook style (onBeforeHandle/onAfterHandle) is adapted
// into an operator here, so it can be registered as it is.
import type { BehaviorDefinition } from '../contract/behavior.js';
import { defineHookBehavior, isHookBehavior, type HookBehavior } from '../contract/hook-behavior.js';
import type { OptionValues } from '../contract/options.js';
import { NamedRegistry } from './named-registry.js';

const registry = new NamedRegistry<BehaviorDefinition>('behavior');

/** Registers and looks up behaviors; the CLI, the config file and the control API all read it. */
export const Behavior = {
  register<O extends OptionValues>(definition: BehaviorDefinition<O> | HookBehavior<O>): BehaviorDefinition<O> {
    const behavior = isHookBehavior(definition) ? defineHookBehavior(definition) : (definition as BehaviorDefinition<O>);
    registry.register(behavior as unknown as BehaviorDefinition);
    return behavior;
  },
  get: (name: string) => registry.get(name),
  require: (name: string, where: string) => registry.require(name, where),
  names: () => registry.names(),
  all: () => registry.all(),
};
