// A name → definition table with the checks both registries share: a plugin name is a plain
// word, and asking for an unknown one is a usage error that lists the known ones.
import { UsageError } from '../cli/usage-error.js';

const NAME = /^[a-z][a-z0-9_-]*$/i;

export class NamedRegistry<D extends { readonly name: string }> {
  private readonly definitions = new Map<string, D>();

  constructor(private readonly kind: 'behavior' | 'protocol') {}

  register(definition: D): D {
    if (typeof definition?.name !== 'string' || !NAME.test(definition.name)) {
      throw new UsageError(`${this.kind} plugin: invalid name ${JSON.stringify(definition?.name)} (letters, digits, - and _)`);
    }
    this.definitions.set(definition.name, definition);
    return definition;
  }

  get(name: string): D | undefined {
    return this.definitions.get(name);
  }

  /** The definition, or a UsageError naming `where` and listing what exists. */
  require(name: string, where: string): D {
    const definition = this.definitions.get(name);
    if (definition === undefined) {
      throw new UsageError(`${where}: unknown ${this.kind} "${name}" (known: ${this.names().join(', ')})`);
    }
    return definition;
  }

  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  all(): D[] {
    return this.names().map((name) => this.definitions.get(name) as D);
  }
}
