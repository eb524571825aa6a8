// The part of --help generated from the registries: every behavior and protocol with its
// options and their flags, so a plugin documents itself.
import type { OptionSpec, OptionTable } from '../contract/options.js';
import { Behavior } from '../registry/behaviors.js';
import { Protocol } from '../registry/protocols.js';

export function describePlugins(): string {
  const lines: string[] = ['Behaviors (--behavior PERCENT:NAME; options as --behavior-NAME-OPTION VALUE, or --handler-NAME-OPTION):'];
  for (const definition of Behavior.all()) lines.push(...describe(definition.name, definition.description, definition.options as OptionTable, 'behavior'));
  lines.push('', 'Protocols (--protocol NAME; options as --protocol-NAME-OPTION VALUE):');
  for (const definition of Protocol.all()) lines.push(...describe(definition.name, definition.description, definition.options as OptionTable, 'protocol'));
  lines.push(
    '',
    'Boolean flags take --flag, --flag true or --flag false. Plugins: --behavior 20:./chaos/mine.js,',
    '--behavior 20:package#export, --protocol ./proto/ldap.js. A config file (--config) is overridden by flags.',
    '',
  );
  return lines.join('\n');
}

function describe(name: string, description: string, options: OptionTable, kind: string): string[] {
  const lines = [`  ${name.padEnd(12)} ${firstSentence(description)}`];
  for (const [key, spec] of Object.entries(options) as Array<[string, OptionSpec]>) {
    const flag = `--${kind}-${name}-${key.replaceAll('_', '-')}`;
    lines.push(`      ${flag.padEnd(36)} ${spec.description} (${spec.type}, default: ${JSON.stringify(spec.default)})`);
  }
  return lines;
}

function firstSentence(text: string): string {
  const end = text.indexOf('. ');
  return end === -1 ? text : text.slice(0, end + 1);
}
