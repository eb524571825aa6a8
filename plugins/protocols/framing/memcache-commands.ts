// What the memcache request framer needs from one command line: the command, the size of the
// data block that follows (if any), and whether an answer will come. It follows memcached 1.6's
// own parsing (token counts, number checks), so the proxy expects a data block exactly when
// the server will read one: a line the server rejects without reading its block is one request.
import type { MessageInfo } from '../../../lib/contract/message.js';
import { latin1Text, shareTexts } from './latin1-text.js';

const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;

/** memcached's KEY_MAX_LENGTH: a longer key is refused before its data block is read. */
const KEY_MAX_LENGTH = 250;
/** memcached refuses a data block larger than INT_MAX - 2 without reading it. */
const MAX_DATA_LENGTH = 2 ** 31 - 1 - 2;
const UINT32_MAX = 2 ** 32 - 1;

/** A quiet (q flag) meta command: it may get no answer, so its answer must be recognised. */
export interface QuietRequest {
  readonly exchange: number;
  readonly command: string;
  readonly key: string;
  /** The O flag's token, echoed back in the answer. */
  readonly opaque: string | undefined;
}

export interface RequestLine {
  readonly command: string;
  /** `{ command }`, plus `quiet: true` for a quiet meta command. */
  readonly info: MessageInfo;
  /** Size of the data block that follows, its CRLF included; 0 when none follows. */
  readonly dataBytes: number;
  /** No answer will come (classic `noreply`, `quit`), or maybe none (quiet meta command). */
  readonly noReply: boolean;
  /** For a quiet meta command: what its answer can be matched with (exchange still 0). */
  readonly quiet?: QuietRequest;
}

/** Commands memcached knows: their info objects are shared, unknown ones get their own. */
const KNOWN_COMMANDS = [
  'get', 'gets', 'gat', 'gats', 'set', 'add', 'replace', 'append', 'prepend', 'cas', 'delete', 'incr', 'decr',
  'touch', 'stats', 'flush_all', 'version', 'verbosity', 'quit', 'shutdown', 'mg', 'ms', 'md', 'ma', 'mn', 'me',
  'lru_crawler', 'watch', 'slabs', 'cache_memlimit', 'lru', 'extstore', 'misbehave', 'debugtime', 'auth',
] as const;
// Names of one length and first letter share a slot, the last one given keeps it: the most used last.
shareTexts([...KNOWN_COMMANDS, 'set', 'get', 'gets', 'mg']);
const infoOf = new Map<string, MessageInfo>(KNOWN_COMMANDS.map((command) => [command, Object.freeze({ command })]));
const quietInfoOf = new Map<string, MessageInfo>(['mg', 'ms', 'md', 'ma'].map((command) => [command, Object.freeze({ command, quiet: true })]));
const plainOf = new Map<string, RequestLine>(
  KNOWN_COMMANDS.map((command) => [command, Object.freeze({ command, info: infoOf.get(command) as MessageInfo, dataBytes: 0, noReply: false })]),
);

/** Where a line's text ends: before its LF and the CR before it (the line: `line[from, to)`). */
export function contentEnd(line: Buffer, from = 0, to = line.length): number {
  let end = to;
  if (end > from && line[end - 1] === LF) end--;
  if (end > from && line[end - 1] === CR) end--;
  return end;
}

/** The first space-separated token (memcached splits on spaces only). Cheap on a huge `get` line. */
export function firstToken(line: Buffer, from = 0, to = line.length): string {
  const end = contentEnd(line, from, to);
  let start = from;
  while (start < end && line[start] === SPACE) start++;
  let stop = start;
  while (stop < end && line[stop] !== SPACE) stop++;
  return latin1Text(line, start, stop);
}

/**
 * The `index`th token of a line read as a decimal number of at most 10 digits, from its bytes
 * (no string is made); undefined when the token is missing or is not such a number.
 */
export function tokenNumber(line: Buffer, index: number, from = 0, to = line.length): number | undefined {
  const end = contentEnd(line, from, to);
  let at = from;
  for (let token = 0; token < index; token++) {
    while (at < end && line[at] === SPACE) at++;
    while (at < end && line[at] !== SPACE) at++;
  }
  while (at < end && line[at] === SPACE) at++;
  const start = at;
  let value = 0;
  for (; at < end; at++) {
    const byte = line[at] as number;
    if (byte === SPACE) break;
    if (byte < ZERO || byte > ZERO + 9) return undefined;
    value = value * 10 + byte - ZERO;
  }
  return at === start || at - start > 10 ? undefined : value;
}

/** All the tokens of a line (`line[from, to)`). */
export function tokensOf(line: Buffer, from = 0, to = line.length): string[] {
  return line
    .toString('latin1', from, contentEnd(line, from, to))
    .split(' ')
    .filter((token) => token.length > 0);
}

/** The command line `line[from, to)` (read in place: most lines are a range of their chunk). */
export function parseRequestLine(line: Buffer, exchange: number, from = 0, to = line.length): RequestLine {
  const command = firstToken(line, from, to);
  switch (command) {
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
      return storage(command, tokensOf(line, from, to), 5);
    case 'cas':
      return storage(command, tokensOf(line, from, to), 6);
    case 'incr':
    case 'decr':
    case 'touch':
    case 'delete':
      return withNoReply(command, tokensOf(line, from, to), 3, 4);
    case 'verbosity':
    case 'flush_all':
    case 'cache_memlimit':
      return withNoReply(command, tokensOf(line, from, to), 2, 3);
    case 'quit':
      return { command, info: infoFor(command), dataBytes: 0, noReply: true };
    case 'ms':
    case 'mg':
    case 'md':
    case 'ma':
      return meta(command, tokensOf(line, from, to), exchange);
    default:
      return plainOf.get(command) ?? { command, info: { command }, dataBytes: 0, noReply: false };
  }
}

function infoFor(command: string): MessageInfo {
  return infoOf.get(command) ?? { command };
}

/** `<cmd> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]`; `arity` counts tokens without noreply. */
function storage(command: string, tokens: string[], arity: number): RequestLine {
  const count = tokens.length;
  // Another token count is an unknown command to memcached: ERROR, and the block is read as commands.
  if (count !== arity && count !== arity + 1) return { command, info: infoFor(command), dataBytes: 0, noReply: false };
  // memcached looks at the last token first: `set k 0 0 noreply` is refused silently.
  const noReply = tokens[count - 1] === 'noreply';
  const length = int32Of(tokens[4]);
  const valid =
    (tokens[1] as string).length <= KEY_MAX_LENGTH &&
    isUint32(tokens[2]) &&
    int32Of(tokens[3]) !== undefined &&
    length !== undefined &&
    length >= 0 &&
    length <= MAX_DATA_LENGTH &&
    (arity === 5 || isUint64(tokens[5]));
  return { command, info: infoFor(command), dataBytes: valid ? (length as number) + 2 : 0, noReply };
}

/** Commands whose last token may be `noreply` when they have `min`..`max` tokens. */
function withNoReply(command: string, tokens: string[], min: number, max: number): RequestLine {
  const count = tokens.length;
  const noReply = count >= min && count <= max && tokens[count - 1] === 'noreply';
  return { command, info: infoFor(command), dataBytes: 0, noReply };
}

/** `mg|md|ma <key> <flags>*` and `ms <key> <datalen> <flags>*`. */
function meta(command: string, tokens: string[], exchange: number): RequestLine {
  const info = infoFor(command);
  const key = tokens[1];
  if (key === undefined) return { command, info, dataBytes: 0, noReply: false };
  let dataBytes = 0;
  let flagsFrom = 2;
  if (command === 'ms') {
    const length = int32Of(tokens[2]);
    // memcached reads (and swallows) the block only once the key and length are acceptable.
    if (key.length > KEY_MAX_LENGTH || length === undefined || length < 0 || length > MAX_DATA_LENGTH) {
      return { command, info, dataBytes: 0, noReply: false };
    }
    dataBytes = length + 2;
    flagsFrom = 3;
  }
  let quiet = false;
  let opaque: string | undefined;
  for (let at = flagsFrom; at < tokens.length; at++) {
    const flag = tokens[at] as string;
    if (flag === 'q') quiet = true;
    else if (flag.charCodeAt(0) === 0x4f /* O */) opaque = flag.slice(1);
  }
  if (!quiet) return { command, info, dataBytes, noReply: false };
  return { command, info: quietInfoOf.get(command) as MessageInfo, dataBytes, noReply: true, quiet: { exchange, command, key, opaque } };
}

function int32Of(token: string | undefined): number | undefined {
  if (token === undefined || !/^[+-]?\d{1,10}$/.test(token)) return undefined;
  const value = Number(token);
  return value >= -(2 ** 31) && value <= 2 ** 31 - 1 ? value : undefined;
}

function isUint32(token: string | undefined): boolean {
  return token !== undefined && /^\+?\d{1,10}$/.test(token) && Number(token) <= UINT32_MAX;
}

function isUint64(token: string | undefined): boolean {
  return token !== undefined && /^\+?\d{1,20}$/.test(token) && BigInt(token) <= 0xffffffffffffffffn;
}
