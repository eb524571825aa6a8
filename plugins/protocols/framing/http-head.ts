// HTTP/1.1 message heads: finding where a head ends (the first empty line) and reading the
// few facts framing needs from it (start line, Content-Length, Transfer-Encoding, Upgrade).
// Pure functions over bytes already received; they never change or keep the bytes.

const LF = 0x0a;
const CR = 0x0d;

/** A head larger than this without its empty line is malformed (what servers commonly allow). */
export const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Where the head that starts at `start` ends (the index just past its empty line), or -1.
 * `from` skips LFs already checked in an earlier call (a head arriving in pieces is scanned
 * once overall). The head's first byte must not be CR or LF, so looking back never leaves it.
 * Bare LF line ends are accepted, as RFC 9112 lets a recipient do.
 */
export function findHeadEnd(data: Buffer, start: number, from = start): number {
  for (let at = data.indexOf(LF, from); at !== -1; at = data.indexOf(LF, at + 1)) {
    const before = data[at - 1];
    if (before === LF) return at + 1;
    if (before === CR && at - 2 >= start && data[at - 2] === LF) return at + 1;
  }
  return -1;
}

/** The headers framing looks at, lower-cased; any other header is skipped unparsed. */
export interface FramingHeaders {
  /** Every Content-Length value, as written (a list may repeat it: `5, 5`). */
  readonly contentLength: readonly string[];
  /** Transfer codings in order, lower-cased (`gzip`, `chunked`). */
  readonly transferEncoding: readonly string[];
  readonly hasUpgrade: boolean;
  /** `Expect: 100-continue`: the client waits for an answer before sending its body. */
  readonly expectsContinue: boolean;
}

export interface RequestHead extends FramingHeaders {
  readonly method: string;
  readonly target: string;
}

export interface ResponseHead extends FramingHeaders {
  readonly status: number;
}

/** A reason the head is malformed, for the one warning line. */
export type HeadProblem = string;

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) +(\S+) +HTTP\/\d\.\d *$/;
const STATUS_LINE = /^HTTP\/\d\.\d +(\d{3})(?:[ \t].*)?$/;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
/** RFC 9110 tchar: the bytes a header name is made of. */
const TOKEN_BYTE = new Uint8Array(256);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_BYTE[char.charCodeAt(0)] = 1;
const NONE: readonly string[] = Object.freeze([]);

export function parseRequestHead(head: Buffer): RequestHead | HeadProblem {
  const scan = scanHead(head, REQUEST_LINE, 'request');
  if (typeof scan === 'string') return scan;
  const { startLine, contentLength, transferEncoding, hasUpgrade, expectsContinue } = scan;
  return { method: startLine[1] as string, target: startLine[2] as string, contentLength, transferEncoding, hasUpgrade, expectsContinue };
}

export function parseResponseHead(head: Buffer): ResponseHead | HeadProblem {
  const scan = scanHead(head, STATUS_LINE, 'status');
  if (typeof scan === 'string') return scan;
  const { startLine, contentLength, transferEncoding, hasUpgrade, expectsContinue } = scan;
  return { status: Number(startLine[1]), contentLength, transferEncoding, hasUpgrade, expectsContinue };
}

/** The start line, matched by `pattern`, and the header lines of a head; a problem if one is malformed. */
function scanHead(head: Buffer, pattern: RegExp, lineName: string): HeaderScan | HeadProblem {
  const firstEnd = lineEnd(head, 0);
  const line = head.toString('latin1', 0, contentEnd(head, 0, firstEnd));
  const startLine = pattern.exec(line);
  if (startLine === null) return `bad ${lineName} line ${JSON.stringify(clip(line))}`;
  const scan = new HeaderScan(startLine);
  const problem = scan.read(head, firstEnd + 1);
  return problem ?? scan;
}

/** Where the line starting at `start` ends: its LF, or the end of the head. */
function lineEnd(head: Buffer, start: number): number {
  const at = head.indexOf(LF, start);
  return at === -1 ? head.length : at;
}

/** The end of a line's text: before the CR of its CR LF. */
function contentEnd(head: Buffer, start: number, end: number): number {
  return end > start && head[end - 1] === CR ? end - 1 : end;
}

/** The value of the header line whose colon is at `colon`, trimmed. */
function valueOf(head: Buffer, colon: number, stop: number): string {
  return head.toString('latin1', colon + 1, stop).trim();
}

/** `head[start, start + name.length)` is `name` (lower-case) in any case; the bytes are known tchars. */
function isName(head: Buffer, start: number, name: string): boolean {
  // tchar | 0x20 equals a lower-case letter or '-' only for that letter in either case, or '-'.
  for (let i = 0; i < name.length; i++) if (((head[start + i] as number) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Reads the header lines from the bytes: a name is checked byte by byte, and a value made into
 * a string only for the four headers framing needs (a head used to cost a string per line,
 * a regular expression and a lower-casing per name).
 */
class HeaderScan implements FramingHeaders {
  contentLength: string[] | readonly string[] = NONE;
  transferEncoding: string[] | readonly string[] = NONE;
  hasUpgrade = false;
  expectsContinue = false;

  constructor(readonly startLine: RegExpExecArray) {}

  /** Reads the lines from `from` to the head's empty line; a problem if one is malformed. */
  read(head: Buffer, from: number): HeadProblem | undefined {
    for (let start = from; start < head.length; ) {
      const end = lineEnd(head, start);
      const stop = contentEnd(head, start, end);
      if (stop === start) break; // the empty line that ends the head
      const next = end + 1;
      const first = head[start];
      // obs-fold: a continuation of the previous value. None of the headers read here may be
      // folded meaningfully, so it is accepted and skipped, as lenient servers do.
      if (first === SPACE || first === TAB) {
        start = next;
        continue;
      }
      let colon = start;
      while (colon < stop && TOKEN_BYTE[head[colon] as number] === 1) colon++;
      if (colon === start || colon === stop || head[colon] !== COLON) return `bad header line ${JSON.stringify(clip(head.toString('latin1', start, stop)))}`;
      this.header(head, start, colon, stop);
      start = next;
    }
    return undefined;
  }

  private header(head: Buffer, start: number, colon: number, stop: number): void {
    switch (colon - start) {
      case 14:
        if (isName(head, start, 'content-length')) {
          const list = this.contentLength === NONE ? (this.contentLength = []) : (this.contentLength as string[]);
          for (const part of valueOf(head, colon, stop).split(',')) list.push(part.trim());
        }
        break;
      case 17:
        if (isName(head, start, 'transfer-encoding')) {
          const list = this.transferEncoding === NONE ? (this.transferEncoding = []) : (this.transferEncoding as string[]);
          for (const part of valueOf(head, colon, stop).split(',')) {
            const coding = part.trim().toLowerCase();
            if (coding !== '') list.push(coding);
          }
        }
        break;
      case 7:
        if (isName(head, start, 'upgrade')) this.hasUpgrade = true;
        break;
      case 6:
        if (isName(head, start, 'expect')) this.expectsContinue = valueOf(head, colon, stop).toLowerCase() === '100-continue';
        break;
    }
  }
}

/** The body length a head announces: undefined without Content-Length, a problem if the values disagree. */
export function contentLengthOf(head: FramingHeaders): number | undefined | HeadProblem {
  if (head.contentLength.length === 0) return undefined;
  const first = head.contentLength[0] as string;
  for (const value of head.contentLength) {
    if (value !== first) return `conflicting Content-Length values ${head.contentLength.join(', ')}`;
  }
  // Digits only (no sign, no exponent), and small enough to count exactly.
  if (!/^\d{1,15}$/.test(first)) return `bad Content-Length ${JSON.stringify(clip(first))}`;
  return Number(first);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
