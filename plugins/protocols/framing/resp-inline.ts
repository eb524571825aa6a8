// Reads an inline command line (`SET key "a value"\r\n`) the way redis splits it (sdssplitargs:
// blanks separate, "double" and 'single' quotes group), keeping only what the framer needs:
// the command name and the argument count. Never throws; unbalanced quotes just end the line.

export interface InlineCommand {
  /** The first word as sent (not upper-cased); undefined for an empty line or a very long word. */
  readonly name: string | undefined;
  /** Words on the line, the command name included. */
  readonly words: number;
  /** The next two words (short ones), for the few commands whose arguments change the session (`CLIENT REPLY OFF`). */
  readonly args: readonly string[];
}

const NAME_MAX = 64;
const BACKSLASH = 0x5c;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/** C's isspace(): what redis skips between words. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

export function splitInline(line: Buffer): InlineCommand {
  const args: string[] = [];
  let words = 0;
  let name: string | undefined;
  let at = 0;
  while (at < line.length) {
    while (at < line.length && isBlank(line[at] as number)) at++;
    if (at >= line.length) break;
    const quote = line[at];
    let start = at;
    let stop: number;
    if (quote === DOUBLE_QUOTE || quote === SINGLE_QUOTE) {
      start = ++at;
      while (at < line.length && line[at] !== quote) at += line[at] === BACKSLASH ? 2 : 1;
      stop = Math.min(at, line.length);
      at++; // the closing quote
    } else {
      while (at < line.length && !isBlank(line[at] as number)) at++;
      stop = at;
    }
    if (stop - start <= NAME_MAX) {
      if (words === 0) name = line.toString('latin1', start, stop);
      else if (words <= 2) args.push(line.toString('latin1', start, stop));
    }
    words++;
  }
  return { name, words, args };
}
