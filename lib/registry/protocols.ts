// The protocols vaurien knows: built-ins (registered by plugins/index.ts) and plugins.
import type { ProtocolDefinition } from '../contract/protocol.js';
import type { OptionValues } from '../contract/options.js';
import { NamedRegistry } from './named-registry.js';

const registry = new NamedRegistry<ProtocolDefinition>('protocol');

/** Registers and looks up protocols; the CLI, the config file and the control API all read it. */
export const Protocol = {
  register<O extends OptionValues>(definition: ProtocolDefinition<O>): ProtocolDefinition<O> {
    registry.register(definition as unknown as ProtocolDefinition);
    return definition;
  },
  get: (name: string) => registry.get(name),
  require: (name: string, where: string) => registry.require(name, where),
  names: () => registry.names(),
  all: () => registry.all(),
};
