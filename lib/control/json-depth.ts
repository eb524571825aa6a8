// How deep a JSON text nests, found in one pass without recursion and before JSON.parse: a
// body nested thousands deep would otherwise reach code that recurses (JSON.parse, stringify,
// option checks) and blow the stack. Brackets inside strings are text, not nesting.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * True when `text` opens more than `limit` objects or arrays inside one another. Malformed JSON
 * is left to JSON.parse: only the deepest nesting reached matters here.
 * @example nestsDeeperThan('{"a":[1]}', 1) // true: an array inside an object is 2 levels
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === BACKSLASH) at++; // the escaped character cannot end the string
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) depth--;
  }
  return false;
}
