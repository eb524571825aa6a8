// Frames what an SMTP server sends: one message per reply line, a reply (`NNN-...` lines up to
// `NNN ...`) being the response of the oldest unanswered request; the greeting opens an
// exchange of its own (part of the handshake). Each completed reply is recorded in the session before it is yielded.
// After a 220 to STARTTLS whose TLS vaurien terminates, framing goes on over the decrypted
// streams; after one it does not, or on malformed data (one warning), the rest passes as exchange 0.
import type { Message, MessageInfo } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { HANDSHAKE_GREETING } from './handshake-openings.js';
import { LineReader } from './line-reader.js';
import { recordReply, type SmtpSession } from './smtp-session.js';

/** Longest reply line accepted (RFC 5321 says 512; servers stay far below this). */
export const MAX_REPLY_LINE_BYTES = 64 * 1024;

const DASH = 0x2d;
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

interface ReplyLine {
  readonly code: number;
  /** The last line of its reply (a space, or nothing, after the code). */
  readonly final: boolean;
}

const isDigit = (byte: number | undefined, max = 0x39): boolean => byte !== undefined && byte >= 0x30 && byte <= max;

/** `NNN-text`, `NNN text` or `NNN`; undefined when the line is not a reply line. */
export function parseReplyLine(line: Buffer): ReplyLine | undefined {
  if (!isDigit(line[0], 0x35) || !isDigit(line[1], 0x35) || !isDigit(line[2])) return undefined;
  const separator = line[3];
  if (separator !== DASH && separator !== SPACE && separator !== CR && separator !== LF) return undefined;
  const code = ((line[0] as number) - 0x30) * 100 + ((line[1] as number) - 0x30) * 10 + ((line[2] as number) - 0x30);
  return { code, final: separator !== DASH };
}

interface Reply {
  readonly exchange: number;
  readonly info: MessageInfo | undefined;
  started: boolean;
}

export function createSmtpResponseFramer(context: FramerContext, session: SmtpSession): Framer {
  return new SmtpResponseFramer(context, session);
}

const message = (bytes: Buffer, exchange: number, first: boolean, last: boolean): Message => ({ bytes, direction: 'response', exchange, first, last });

/**
 * A class, not a closure: its generator methods are made once, shared by every connection. A
 * generator function made per connection got a prototype and a hidden class of its own when
 * first run (see test/framing/framer-per-connection.test.ts).
 */
class SmtpResponseFramer implements Framer {
  private readonly lines = new LineReader();
  private raw = false;
  private greeted = false;
  private reply: Reply | undefined;

  constructor(
    private readonly context: FramerContext,
    private readonly session: SmtpSession,
  ) {}

  *push(chunk: Buffer): Generator<Message> {
    const { lines, session } = this;
    let at = 0;
    while (at < chunk.length) {
      // The request side gave up on framing: this side follows at the next reply.
      if (!this.raw && this.reply === undefined && lines.pendingBytes === 0 && session.raw) {
        this.raw = true;
        yield* this.settle();
      }
      if (this.raw) {
        yield message(at === 0 ? chunk : chunk.subarray(at), 0, true, false);
        return;
      }
      const bytes = lines.read(chunk, at);
      if (bytes === undefined) {
        if (lines.pendingBytes > MAX_REPLY_LINE_BYTES) yield* this.malformed(lines.takePending(), `a reply line longer than ${MAX_REPLY_LINE_BYTES} bytes`);
        return;
      }
      at = lines.next;
      if (yield* this.line(bytes, chunk, at)) return;
    }
  }

  *end(): Generator<Message> {
    if (this.lines.pendingBytes === 0) return;
    const bytes = this.lines.takePending();
    if (this.raw) {
      yield message(bytes, 0, true, false);
      return;
    }
    // An unfinished last line: it still completes the reply it belongs to.
    const current = (this.reply ??= this.begin());
    this.reply = undefined;
    yield message(bytes, current.exchange, !current.started, true);
  }

  /** A reply begins: the first one is the greeting, each later one answers the oldest request. */
  private begin(): Reply {
    if (!this.greeted) {
      this.greeted = true;
      return { exchange: this.context.openExchange(HANDSHAKE_GREETING), info: undefined, started: false };
    }
    const request = this.context.nextForwarded();
    return { exchange: request?.exchange ?? 0, info: request?.info, started: false };
  }

  /** Requests forwarded that will get no framed reply now: each gets an empty last message. */
  private *settle(): Generator<Message> {
    const { context } = this;
    for (let request = context.nextForwarded(); request !== undefined; request = context.nextForwarded()) {
      yield message(EMPTY, request.exchange, true, true);
    }
  }

  /** One reply line, read from `chunk` up to `at`; returns true when the rest of `chunk` went to TLS. */
  private *line(bytes: Buffer, chunk: Buffer, at: number): Generator<Message, boolean> {
    const { session } = this;
    const parsed = parseReplyLine(bytes);
    if (parsed === undefined) {
      yield* this.malformed(bytes, 'a server line that is not an SMTP reply');
      return false;
    }
    const current = (this.reply ??= this.begin());
    const first = !current.started;
    current.started = true;
    if (!parsed.final) {
      yield message(bytes, current.exchange, first, false);
      return false;
    }
    this.reply = undefined;
    // Recorded before the reply goes on: the client answers it only once it has it.
    if (current.exchange !== 0) recordReply(session, current.exchange, parsed.code, current.info);
    const tls = parsed.code === 220 && current.info?.['command'] === 'STARTTLS';
    // Asked before the 220 leaves: the client switches once it has been written.
    if (tls && this.context.startTls?.({ direction: 'response', exchange: current.exchange, rest: [chunk.subarray(at)] }) === true) {
      session.tls = 'secured';
      yield message(bytes, current.exchange, first, true);
      return true;
    }
    yield message(bytes, current.exchange, first, true);
    if (tls) {
      this.raw = true;
      yield* this.settle();
    }
    return false;
  }

  /** The bytes end the reply under way (or answer the oldest request); the rest is raw. */
  private *malformed(bytes: Buffer, problem: string): Generator<Message> {
    const { session } = this;
    if (!session.warned) {
      session.warned = true;
      this.context.log.warning(`smtp: ${problem}; passing the rest of the connection through unframed`);
    }
    session.raw = true;
    this.raw = true;
    const current = (this.reply ??= this.begin());
    this.reply = undefined;
    yield message(bytes, current.exchange, !current.started, true);
    yield* this.settle();
  }
}
