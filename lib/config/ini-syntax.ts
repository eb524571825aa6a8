// Refuses a config file that is not INI vaurien can use, before the lenient `ini` package reads
// it (it turns a JSON file, a lost `[` or binary bytes into keys): every line is blank, a comment,
// a `[section]`, `KEY = VALUE` or a bare KEY inside a section, and `[vaurien]` exists.
import { UsageError } from '../cli/usage-error.js';

const COMMENT = /^[;#]/;
/** An indented line right after `KEY = VALUE` continues its value (a list item). */
const CONTINUATION = /^[ \t]+\S/;
const SECTION = /^\[[^\]]+\]\s*(?:[;#].*)?$/;
/** A bare key is a flag or option name: `stay_connected`. Anything else without `=` is not INI. */
const BARE_KEY = /^[A-Za-z0-9_.-]+$/;

/**
 * Throws a UsageError naming the file (and the line) when `text` is empty, has a line that is
 * not INI, a key outside any section, or no `[vaurien]` section. Linear in the text.
 */
export function checkIniSyntax(text: string, path: string): void {
  let inSection = false;
  let hasVaurien = false;
  let meaningful = 0;
  let continuable = false;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    const isContinuation: boolean = continuable && CONTINUATION.test(line) && !COMMENT.test(trimmed);
    continuable = isContinuation || (trimmed.includes('=') && !COMMENT.test(trimmed) && !trimmed.startsWith('['));
    if (trimmed === '' || COMMENT.test(trimmed) || isContinuation) continue;
    meaningful++;
    const where = `--config ${path}: line ${index + 1}`;
    if (trimmed.startsWith('[')) {
      if (!SECTION.test(trimmed)) throw new UsageError(`${where} cannot be parsed (expected [SECTION], KEY = VALUE or a ; comment)`);
      inSection = true;
      if (trimmed.slice(1, trimmed.indexOf(']')).trim().toLowerCase() === 'vaurien') hasVaurien = true;
      continue;
    }
    const equals = trimmed.indexOf('=');
    if (equals === 0 || (equals === -1 && !BARE_KEY.test(trimmed))) {
      throw new UsageError(`${where} cannot be parsed (expected [SECTION], KEY = VALUE or a ; comment)`);
    }
    if (!inSection) throw new UsageError(`${where}: a key outside any section (put it under [vaurien])`);
  }
  if (meaningful === 0) throw new UsageError(`--config ${path}: the file is empty (expected a [vaurien] section)`);
  if (!hasVaurien) throw new UsageError(`--config ${path}: no [vaurien] section`);
}
