// Reads the few flags needed before the real parse: --config (the file may name plugins) and
// --behavior/--protocol (plugin references are loaded first, so their options get flags).
export interface EarlyFlags {
  readonly config?: string;
  readonly behavior?: string;
  readonly protocol?: string;
}

const WANTED = { '--config': 'config', '--behavior': 'behavior', '--protocol': 'protocol' } as const;

export function prescanArguments(argv: readonly string[]): EarlyFlags {
  const found: { config?: string; behavior?: string; protocol?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (argument === '--') break;
    const equals = argument.indexOf('=');
    const flag = equals === -1 ? argument : argument.slice(0, equals);
    if (!(flag in WANTED)) continue;
    const value = equals === -1 ? argv[i + 1] : argument.slice(equals + 1);
    if (value !== undefined) found[WANTED[flag as keyof typeof WANTED]] = value;
  }
  return found;
}
