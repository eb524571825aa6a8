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
  readonly contentLength: string[];
  /** Transfer codings in order, lower-cased (`gzip`, `chunked`). */
  readonly transferEncoding: string[];
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

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) +(\S+) +HTTP\/\d\.\d *$/;
const STATUS_LINE = /^HTTP\/\d\.\d +(\d{3})(?:[ \t].*)?$/;

export function parseRequestHead(head: Buffer): RequestHead | HeadProblem {
  const lines = splitLines(head);
  const match = REQUEST_LINE.exec(lines[0] ?? '');
  if (match === null) return `bad request line ${JSON.stringify(clip(lines[0] ?? ''))}`;
  const headers = readHeaders(lines);
  if (typeof headers === 'string') return headers;
  return { method: match[1] as string, target: match[2] as string, ...headers };
}

export function parseResponseHead(head: Buffer): ResponseHead | HeadProblem {
  const lines = splitLines(head);
  const match = STATUS_LINE.exec(lines[0] ?? '');
  if (match === null) return `bad status line ${JSON.stringify(clip(lines[0] ?? ''))}`;
  const headers = readHeaders(lines);
  if (typeof headers === 'string') return headers;
  return { status: Number(match[1]), ...headers };
}

/** The head's lines without their CR LF; the final empty line is left out. */
function splitLines(head: Buffer): string[] {
  // latin1 maps each byte to one char: nothing is lost, whatever the encoding of the values.
  const lines = head.toString('latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function readHeaders(lines: readonly string[]): FramingHeaders | HeadProblem {
  const contentLength: string[] = [];
  const transferEncoding: string[] = [];
  let hasUpgrade = false;
  let expectsContinue = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    // obs-fold: a continuation of the previous value. None of the headers read here may be
    // folded meaningfully, so it is accepted and skipped, as lenient servers do.
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) return `bad header line ${JSON.stringify(clip(line))}`;
    const value = line.slice(colon + 1).trim();
    switch (name.toLowerCase()) {
      case 'content-length':
        for (const part of value.split(',')) contentLength.push(part.trim());
        break;
      case 'transfer-encoding':
        for (const part of value.split(',')) {
          const coding = part.trim().toLowerCase();
          if (coding !== '') transferEncoding.push(coding);
        }
        break;
      case 'upgrade':
        hasUpgrade = true;
        break;
      case 'expect':
        expectsContinue = value.toLowerCase() === '100-continue';
        break;
    }
  }
  return { contentLength, transferEncoding, hasUpgrade, expectsContinue };
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
