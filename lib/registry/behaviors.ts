// The behaviors vaurien knows: built-ins (registered by plugins/index.ts) and plugins.
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { OptionValues } from '../contract/options.js';
import { NamedRegistry } from './named-registry.js';

const registry = new NamedRegistry<BehaviorDefinition>('behavior');

/** Registers and looks up behaviors; the CLI, the config file and the control API all read it. */
export const Behavior = {
  register<O extends OptionValues>(definition: BehaviorDefinition<O>): BehaviorDefinition<O> {
    registry.register(definition as unknown as BehaviorDefinition);
    return definition;
  },
  get: (name: string) => registry.get(name),
  require: (name: string, where: string) => registry.require(name, where),
  names: () => registry.names(),
  all: () => registry.all(),
};
