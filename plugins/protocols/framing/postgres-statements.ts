// Reads what a request says in words, for its `info`: the first characters of its SQL (a
// Query, a Parse, or the statement a Bind names), and the user and database of a start-up.
// Reads only the bytes of a message's first piece, from `at` (where its body starts: no view
// made per message); never throws on a cut or garbled body.

/** Characters of SQL kept in `info.query`. */
export const QUERY_CHARS = 100;
/** Enough UTF-8 bytes for QUERY_CHARS characters (at most 4 bytes each). */
const QUERY_BYTES = QUERY_CHARS * 4;
/** Named statements remembered per connection: enough for any client's cache, bounded against one that never closes them. */
const MAX_STATEMENTS = 1000;

/** Where the NUL-terminated string at `at` ends (the NUL's index), or -1 when it runs past `bytes`. */
export function cStringEnd(bytes: Buffer, at: number): number {
  return at > bytes.length ? -1 : bytes.indexOf(0, at);
}

/** The NUL-terminated string at `at`, or undefined when it is cut. */
export function cString(bytes: Buffer, at: number): string | undefined {
  const end = cStringEnd(bytes, at);
  return end === -1 ? undefined : bytes.toString('utf8', at, end);
}

/** The first QUERY_CHARS characters of the SQL at `at` (as far as the bytes go when the piece cuts it). */
export function queryText(bytes: Buffer, at: number): string {
  if (at >= bytes.length) return '';
  const end = cStringEnd(bytes, at);
  const stop = Math.min(end === -1 ? bytes.length : end, at + QUERY_BYTES);
  const text = bytes.toString('utf8', at, stop);
  return text.length > QUERY_CHARS ? text.slice(0, QUERY_CHARS) : text;
}

/** Parse (body at `at`): statement name, then the SQL. Records the SQL under the name; returns it. */
export function noteParse(statements: Map<string, string>, bytes: Buffer, at: number): string | undefined {
  const nameEnd = cStringEnd(bytes, at);
  if (nameEnd === -1) return undefined;
  const name = nameEnd === at ? '' : bytes.toString('utf8', at, nameEnd);
  const query = queryText(bytes, nameEnd + 1);
  if (statements.size < MAX_STATEMENTS || statements.has(name)) statements.set(name, query);
  return query;
}

/** Bind (body at `at`): portal name, then statement name. The SQL of the statement it runs, when it was seen. */
export function boundQuery(statements: Map<string, string>, bytes: Buffer, at: number): string | undefined {
  const portalEnd = cStringEnd(bytes, at);
  if (portalEnd === -1) return undefined;
  const statement = cString(bytes, portalEnd + 1);
  return statement === undefined ? undefined : statements.get(statement);
}

/** Close (body at `at`): `S` and a statement name forgets that statement (a portal, `P`, is not tracked). */
export function noteClose(statements: Map<string, string>, bytes: Buffer, at: number): void {
  if (bytes[at] !== 0x53) return;
  const name = cString(bytes, at + 1);
  if (name !== undefined) statements.delete(name);
}

/** A StartupMessage's `user` and `database` parameters (its body at `at`: the 4-byte code, then pairs), those that are there. */
export function startupParameters(bytes: Buffer, from: number): { user?: string; database?: string } {
  const found: { user?: string; database?: string } = {};
  for (let at = from + 4; at < bytes.length && bytes[at] !== 0; ) {
    const keyEnd = cStringEnd(bytes, at);
    if (keyEnd === -1) break;
    const valueEnd = cStringEnd(bytes, keyEnd + 1);
    if (valueEnd === -1) break;
    const key = bytes.toString('latin1', at, keyEnd);
    if (key === 'user' || key === 'database') found[key] = bytes.toString('utf8', keyEnd + 1, valueEnd);
    at = valueEnd + 1;
  }
  return found;
}
