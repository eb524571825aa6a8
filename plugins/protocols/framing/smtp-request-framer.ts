// Frames what an SMTP client sends: each command line is an exchange (pipelined commands too),
// a DATA body up to its `<CRLF>.<CRLF>` is an exchange of its own, `BDAT n` with its n bytes is
// one exchange, each SASL answer after a 334 is one. Bodies and chunks stream as they arrive.
// EHLO/HELO/LHLO, STARTTLS, AUTH and its SASL answers open the session: handshake exchanges.
// After an accepted STARTTLS vaurien does not terminate, or on malformed data (one warning), the
// rest passes as exchange 0; after one it terminates, commands go on, decrypted.
import type { Message, MessageInfo } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { HANDSHAKE } from './handshake-openings.js';
import { LineReader } from './line-reader.js';
import { DataEndFinder } from './smtp-data-end.js';
import { nextClientUnit, type SmtpSession } from './smtp-session.js';

/** Longest command line accepted (RFC 5321 says 512, RFC 4954 lets AUTH lines reach 12288). */
export const MAX_COMMAND_LINE_BYTES = 64 * 1024;

const BODY_INFO: MessageInfo = Object.freeze({ command: 'DATA', body: true });
const CONTINUATION_INFO: MessageInfo = Object.freeze({ command: 'AUTH', continuation: true });
/** `BDAT <size> [LAST]` (RFC 3030); 15 digits stay exact as a JS number. */
const BDAT_LINE = /^BDAT[ \t]+(\d{1,15})(?:[ \t]+LAST)?[ \t]*\r?\n$/i;
/** Commands that set the session up rather than send mail: with the greeting, the handshake. */
const HANDSHAKE_VERBS: ReadonlySet<string> = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH']);
/** SMTP verbs are letters (a few have digits or a hyphen: XCLIENT, X-EXPS). */
const VERB = /^[A-Za-z][A-Za-z0-9-]{0,31}/;

type Mode = 'command' | 'body' | 'chunk' | 'raw';

/** The upper-case verb of a command line ('' when it has none). */
export function verbOf(line: Buffer): string {
  return VERB.exec(line.toString('latin1', 0, Math.min(line.length, 40)))?.[0].toUpperCase() ?? '';
}

export function createSmtpRequestFramer(context: FramerContext, session: SmtpSession): Framer {
  return new SmtpRequestFramer(context, session);
}

const message = (bytes: Buffer, exchange: number, first: boolean, last: boolean, info?: MessageInfo): Message =>
  info === undefined ? { bytes, direction: 'request', exchange, first, last } : { bytes, direction: 'request', exchange, first, last, info };
const raw = (bytes: Buffer): Message => message(bytes, 0, true, false);

/**
 * A class, not a closure: its generator methods are made once, shared by every connection. A
 * generator function made per connection got a prototype and a hidden class of its own when
 * first run (see test/framing/framer-per-connection.test.ts).
 */
class SmtpRequestFramer implements Framer {
  private readonly lines = new LineReader();
  private readonly dataEnd = new DataEndFinder();
  private mode: Mode = 'command';
  /** The newest exchange this side opened: the reply to it decides how to read what follows. */
  private latest = 0;
  /** The exchange a body or chunk being read belongs to, and what its messages carry. */
  private current = 0;
  private currentInfo: MessageInfo = BODY_INFO;
  private currentStarted = false;
  private chunkRemaining = 0;
  /** The line being read answers a 334 challenge. */
  private continuation = false;

  constructor(
    private readonly context: FramerContext,
    private readonly session: SmtpSession,
  ) {}

  *push(chunk: Buffer): Generator<Message> {
    const { lines } = this;
    let at = 0;
    while (at < chunk.length) {
      if (this.mode === 'command' && lines.pendingBytes === 0) this.startUnit();
      if (this.mode === 'raw') {
        yield raw(at === 0 ? chunk : chunk.subarray(at));
        return;
      }
      if (this.mode === 'body') {
        at = yield* this.body(chunk, at);
        continue;
      }
      if (this.mode === 'chunk') {
        at = yield* this.bdatData(chunk, at);
        continue;
      }
      const line = lines.read(chunk, at);
      if (line === undefined) {
        if (lines.pendingBytes > MAX_COMMAND_LINE_BYTES) {
          this.malformed(`a client line longer than ${MAX_COMMAND_LINE_BYTES} bytes`);
          yield raw(lines.takePending());
        }
        return;
      }
      at = lines.next;
      yield this.commandLine(line);
    }
  }

  *end(): Generator<Message> {
    // An unfinished last line still goes out: the server reads it as a command at close.
    if (this.lines.pendingBytes === 0) return;
    const line = this.lines.takePending();
    yield this.mode === 'command' ? this.commandLine(line) : raw(line);
  }

  /** A new unit starts: the reply to the newest request says whether it is a command, a body, TLS. */
  private startUnit(): void {
    if (this.session.raw) {
      this.mode = 'raw';
      return;
    }
    const unit = nextClientUnit(this.session, this.latest);
    this.continuation = unit === 'continuation';
    if (unit === 'tls') this.mode = 'raw';
    else if (unit === 'body') {
      this.current = this.latest = this.context.openExchange();
      this.currentInfo = BODY_INFO;
      this.currentStarted = false;
      this.dataEnd.reset();
      this.mode = 'body';
    }
  }

  private commandLine(line: Buffer): Message {
    const info: MessageInfo = this.continuation ? CONTINUATION_INFO : { command: verbOf(line) };
    this.continuation = false;
    const exchange = (this.latest = this.context.openExchange(HANDSHAKE_VERBS.has(info['command'] as string) ? HANDSHAKE : undefined));
    const bdat = info['command'] === 'BDAT' ? BDAT_LINE.exec(line.toString('latin1')) : null;
    const size = bdat === null ? 0 : Number(bdat[1]);
    if (size === 0) return message(line, exchange, true, true, info);
    // The chunk's bytes follow at once (no reply in between): one request with the line.
    this.current = exchange;
    this.currentInfo = info;
    this.currentStarted = true;
    this.chunkRemaining = size;
    this.mode = 'chunk';
    return message(line, exchange, true, false, info);
  }

  /** Reads DATA body bytes from `at`; returns where the chunk continues. */
  private *body(chunk: Buffer, at: number): Generator<Message, number> {
    const end = this.dataEnd.find(chunk, at);
    const to = end === -1 ? chunk.length : end;
    const first = !this.currentStarted;
    this.currentStarted = true;
    if (end !== -1) this.mode = 'command';
    yield message(chunk.subarray(at, to), this.current, first, end !== -1, this.currentInfo);
    return to;
  }

  /** Reads BDAT chunk bytes from `at`; returns where the chunk continues. */
  private *bdatData(chunk: Buffer, at: number): Generator<Message, number> {
    const to = Math.min(chunk.length, at + this.chunkRemaining);
    this.chunkRemaining -= to - at;
    if (this.chunkRemaining === 0) this.mode = 'command';
    yield message(chunk.subarray(at, to), this.current, false, this.chunkRemaining === 0, this.currentInfo);
    return to;
  }

  private malformed(problem: string): void {
    if (!this.session.warned) {
      this.session.warned = true;
      this.context.log.warning(`smtp: ${problem}; passing the rest of the connection through unframed`);
    }
    this.session.raw = true;
    this.mode = 'raw';
  }
}
