// Short texts read again and again from protocol bytes (command names, answer heads): the
// string made the first time is handed back while the bytes are the same, so a pipeline of
// GETs makes no new string per command, and a lookup by that string finds its hash computed.
// One table for every connection: strings are immutable, and a slot only ever holds a string
// that was read, so a client sending garbage can replace entries but not grow the table.

/** Texts up to this many bytes are shared; longer ones are made each time. */
const MAX_SHARED_LENGTH = 16;
/** One slot per (length, first byte). */
const slots: Array<string | undefined> = new Array<string | undefined>((MAX_SHARED_LENGTH + 1) << 8).fill(undefined);

/**
 * Puts `texts` (a protocol's command names and answer heads, as its code spells them) in the
 * table: read from bytes, they are then the very strings the code compares them with.
 */
export function shareTexts(texts: readonly string[]): void {
  for (const text of texts) {
    if (text.length > 0 && text.length <= MAX_SHARED_LENGTH) slots[(text.length << 8) | text.charCodeAt(0)] = text;
  }
}

/** The latin1 text of `bytes[start, end)`. */
export function latin1Text(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length <= 0) return '';
  if (length > MAX_SHARED_LENGTH) return bytes.toString('latin1', start, end);
  const slot = (length << 8) | (bytes[start] as number);
  const known = slots[slot];
  if (known !== undefined) {
    let at = 1;
    while (at < length && bytes[start + at] === known.charCodeAt(at)) at++;
    if (at === length) return known;
  }
  const text = bytes.toString('latin1', start, end);
  slots[slot] = text;
  return text;
}
