// Reads what a request says in words, for its `info`: the first characters of its SQL (a
// Query, a Parse, or the statement a Bind names), and the user and database of a start-up.
// Reads only the bytes of a message's first piece; never throws on a cut or garbled body.

/** Characters of SQL kept in `info.query`. */
export const QUERY_CHARS = 100;
/** Enough UTF-8 bytes for QUERY_CHARS characters (at most 4 bytes each). */
const QUERY_BYTES = QUERY_CHARS * 4;
/** Named statements remembered per connection: enough for any client's cache, bounded against one that never closes them. */
const MAX_STATEMENTS = 1000;

/** Where the NUL-terminated string at `at` ends (the NUL's index), or -1 when it runs past `body`. */
export function cStringEnd(body: Buffer, at: number): number {
  return at > body.length ? -1 : body.indexOf(0, at);
}

/** The NUL-terminated string at `at`, or undefined when it is cut. */
export function cString(body: Buffer, at: number): string | undefined {
  const end = cStringEnd(body, at);
  return end === -1 ? undefined : body.toString('utf8', at, end);
}

/** The first QUERY_CHARS characters of the SQL at `at` (as far as the bytes go when the piece cuts it). */
export function queryText(body: Buffer, at: number): string {
  if (at >= body.length) return '';
  const end = cStringEnd(body, at);
  const stop = Math.min(end === -1 ? body.length : end, at + QUERY_BYTES);
  const text = body.toString('utf8', at, stop);
  return text.length > QUERY_CHARS ? text.slice(0, QUERY_CHARS) : text;
}

/** Parse: statement name, then the SQL. Records the SQL under the name; returns it. */
export function noteParse(statements: Map<string, string>, body: Buffer): string | undefined {
  const nameEnd = cStringEnd(body, 0);
  if (nameEnd === -1) return undefined;
  const name = nameEnd === 0 ? '' : body.toString('utf8', 0, nameEnd);
  const query = queryText(body, nameEnd + 1);
  if (statements.size < MAX_STATEMENTS || statements.has(name)) statements.set(name, query);
  return query;
}

/** Bind: portal name, then statement name. The SQL of the statement it runs, when it was seen. */
export function boundQuery(statements: Map<string, string>, body: Buffer): string | undefined {
  const portalEnd = cStringEnd(body, 0);
  if (portalEnd === -1) return undefined;
  const statement = cString(body, portalEnd + 1);
  return statement === undefined ? undefined : statements.get(statement);
}

/** Close: `S` and a statement name forgets that statement (a portal, `P`, is not tracked). */
export function noteClose(statements: Map<string, string>, body: Buffer): void {
  if (body[0] !== 0x53) return;
  const name = cString(body, 1);
  if (name !== undefined) statements.delete(name);
}

/** A StartupMessage's `user` and `database` parameters (after the 4-byte code), those that are there. */
export function startupParameters(body: Buffer): { user?: string; database?: string } {
  const found: { user?: string; database?: string } = {};
  for (let at = 4; at < body.length && body[at] !== 0; ) {
    const keyEnd = cStringEnd(body, at);
    if (keyEnd === -1) break;
    const valueEnd = cStringEnd(body, keyEnd + 1);
    if (valueEnd === -1) break;
    const key = body.toString('latin1', at, keyEnd);
    if (key === 'user' || key === 'database') found[key] = body.toString('utf8', keyEnd + 1, valueEnd);
    at = valueEnd + 1;
  }
  return found;
}
