// Reads a Vaurien INI file (--config) with the `ini` package once ini-syntax.ts has accepted it:
// `[vaurien]` settings, `[behavior:NAME]`/`[handler:NAME]`/`[protocol:NAME]` options, `${ENV}`,
// continuation lines as lists. Values stay raw; option tables type them, naming section and key.
import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import { UsageError } from '../cli/usage-error.js';
import { checkIniSyntax } from './ini-syntax.js';

/** A raw value: a string, a boolean (`true`/`false`, or a key with no `=`), or a list. */
export type ConfigValue = string | boolean | readonly string[];
export type ConfigSection = Readonly<Record<string, ConfigValue>>;

export interface ConfigFile {
  readonly path: string;
  readonly vaurien: ConfigSection;
  /** `[behavior:NAME]` and `[handler:NAME]` sections, by NAME. */
  readonly behaviors: Readonly<Record<string, ConfigSection>>;
  readonly protocols: Readonly<Record<string, ConfigSection>>;
  /** Sections that are none of the above (reported as warnings). */
  readonly unknownSections: readonly string[];
}

const SECTION_WITH_COMMENT = /^(\s*\[[^\]]*\])\s*[;#].*$/;
const CONTINUATION = /^[ \t]+\S/;
/** Marks a list item boundary inside a joined continuation value. */
const LIST_SEPARATOR = '\u0000';

export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`--config ${path}: cannot read the file (${code})`);
  }
  // A byte-order mark (Windows editors) is not part of the first line.
  return parseConfig(text.replace(/^\uFEFF/, ''), path);
}

export function parseConfig(text: string, path = '<config>'): ConfigFile {
  checkIniSyntax(text, path);
  const raw = parse(prepare(text)) as Record<string, unknown>;
  const vaurien: Record<string, ConfigValue> = {};
  const behaviors: Record<string, ConfigSection> = {};
  const protocols: Record<string, ConfigSection> = {};
  const unknownSections: string[] = [];
  for (const [section, content] of Object.entries(raw)) {
    if (typeof content !== 'object' || content === null) {
      unknownSections.push(`${section} (a key outside any section)`);
      continue;
    }
    const values = convertSection(content as Record<string, unknown>, path, section);
    const [kind, name] = splitSection(section);
    if (kind === 'vaurien' && name === undefined) Object.assign(vaurien, values);
    else if ((kind === 'behavior' || kind === 'handler') && name) behaviors[name] = { ...behaviors[name], ...values };
    else if (kind === 'protocol' && name) protocols[name] = values;
    else unknownSections.push(`[${section}]`);
  }
  return { path, vaurien, behaviors, protocols, unknownSections };
}

/** ini 6 does not take a comment after a section header, nor indented continuation lines. */
function prepare(text: string): string {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const last = out.length - 1;
    if (CONTINUATION.test(line) && last >= 0 && (out[last] as string).includes('=') && !/^\s*[;#]/.test(line)) {
      out[last] += LIST_SEPARATOR + line.trim();
      continue;
    }
    out.push(line.replace(SECTION_WITH_COMMENT, '$1'));
  }
  return out.join('\n');
}

function splitSection(section: string): [string, string | undefined] {
  const colon = section.indexOf(':');
  if (colon === -1) return [section.trim().toLowerCase(), undefined];
  return [section.slice(0, colon).trim().toLowerCase(), section.slice(colon + 1).trim()];
}

function convertSection(content: Record<string, unknown>, path: string, section: string): Record<string, ConfigValue> {
  const values: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(content)) {
    const where = `${path}: [${section}] ${key}`;
    const normalized = key.trim().replaceAll('-', '_');
    if (typeof value === 'boolean') values[normalized] = value;
    else if (Array.isArray(value)) values[normalized] = value.map((item) => expandEnv(String(item), where));
    else if (typeof value === 'string') {
      const items = value.split(LIST_SEPARATOR).map((item) => expandEnv(item.trim(), where)).filter((item) => item !== '');
      values[normalized] = value.includes(LIST_SEPARATOR) ? items : (items[0] ?? '');
    } else if (value === null) values[normalized] = '';
  }
  return values;
}

function expandEnv(value: string, where: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const found = process.env[name];
    if (found !== undefined) return found;
    if (fallback !== undefined) return fallback;
    throw new UsageError(`${where}: environment variable ${name} is not set`);
  });
}
