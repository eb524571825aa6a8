// Turns a RESP byte stream into messages: one message per top-level value when it fits in a
// chunk, else several (first/last mark the edges), so values of any size stream. A message is
// a range of its chunk (ChunkRanges); only the few bytes a side needs to decide a value's
// exchange are held (copied) across chunks. Bad bytes: one warning, then raw passthrough as
// exchange 0.
import { ChunkRanges } from '../../../lib/contract/chunk-ranges.js';
import type { Direction, Message, MessageInfo } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { RespEvent, RespScanner } from './resp-scanner.js';
import { WholeValueReader } from './resp-whole-value.js';

/** Where a value goes: its exchange, whether it opens that exchange's side, what it says. */
export interface Stamp {
  readonly exchange: number;
  readonly first: boolean;
  readonly info?: MessageInfo | undefined;
  /** An exchange left open (a pub/sub answer cut short) that this value closes first. */
  readonly closes?: number | undefined;
  /** A command redis will not answer (`CLIENT REPLY OFF` is in force): no answer is awaited. */
  readonly noReply?: boolean | undefined;
}

/** The direction-specific half of a RESP framer: which exchange each value belongs to. */
export interface RespSide {
  /** How many first elements of an array the side reads (their types and short texts). */
  readonly notedElements: number;
  /** How many to read for an array whose first element is `first`, when more than `notedElements` (`CLIENT REPLY …`). */
  readonly widen?: (first: string) => number;
  /**
   * The stamp of the value being scanned, or undefined to read further (more of its first
   * elements). With `forced`, decide now with what is known. A side may hand back the same
   * object refilled each time: the framer is done with a value's stamp before it asks again.
   */
  decide(scanner: RespScanner, forced: boolean): Stamp | undefined;
  /** The value is complete: whether it completes its exchange's side (`last`). */
  complete(scanner: RespScanner, stamp: Stamp): boolean;
  /** Requests only: the stamp of a whole inline command line (`PING\r\n`). */
  inline?(line: Buffer): Stamp;
  /** After a switch to raw passthrough: exchanges to close with an empty last message, as nothing will answer them. */
  settle?(current: Stamp | undefined): Stamp[];
}

/** Redis's own limit for an inline command (PROTO_INLINE_MAX_SIZE). */
const INLINE_MAX = 64 * 1024;
/** Most bytes held while a value's exchange is undecided; beyond, the side decides with what it knows. */
const LOOKAHEAD_MAX = 64 * 1024;
const LF = 0x0a;
const STAR = 0x2a;
const EMPTY = Buffer.alloc(0);
export const OUTSIDE: Stamp = { exchange: 0, first: true };

/** Bytes kept across chunks while undecided: copies, so the chunk they came in can go. */
class HeldBytes {
  private parts: Buffer[] = [];
  size = 0;

  hold(view: Buffer): void {
    if (view.length === 0) return;
    this.parts.push(Buffer.from(view));
    this.size += view.length;
  }

  /** Everything held followed by `view`, and nothing held any more. */
  take(view: Buffer): Buffer {
    if (this.size === 0) return view;
    const bytes = Buffer.concat([...this.parts, view]);
    this.parts = [];
    this.size = 0;
    return bytes;
  }
}

export function createRespFramer(direction: Direction, context: FramerContext, side: RespSide): Framer {
  const scanner = new RespScanner(side.notedElements, side.widen);
  const whole = new WholeValueReader(scanner);
  const held = new HeldBytes();
  let raw = false;
  let inValue = false;
  let inline = false;
  let stamp: Stamp | undefined;
  let first = true;

  /** Decides the current value's stamp; an exchange it ends gets its empty closing message first. */
  const decide = (forced: boolean, out: ChunkRanges): void => {
    const decided = side.decide(scanner, forced);
    if (decided === undefined) return;
    stamp = decided;
    first = decided.first;
    if (decided.closes !== undefined) out.addBytes(EMPTY, decided.closes, false, true);
  };

  /** The next piece of the current (decided) value: [start, end) of the chunk, after what was held of it. */
  const piece = (out: ChunkRanges, start: number, end: number, last: boolean): void => {
    if (held.size > 0) {
      ownPiece(out, held.take(out.chunk.subarray(start, end)), last);
      return;
    }
    const at = stamp as Stamp;
    out.add(start, end, at.exchange, first, last, at.info, at.noReply);
    first = false;
  };

  /** The next piece of the current value, as bytes of its own. */
  const ownPiece = (out: ChunkRanges, bytes: Buffer, last: boolean): void => {
    const at = stamp as Stamp;
    out.addBytes(bytes, at.exchange, first, last, at.info, at.noReply);
    first = false;
  };

  /**
   * The value at `pos` in one pass, when it lies wholly in the chunk and has one of the usual
   * shapes (see WholeValueReader): its messages go to `out`; returns where it ends, or -1 for
   * the scanner to read it.
   */
  function wholeValue(chunk: Buffer, pos: number, out: ChunkRanges): number {
    const end = whole.read(chunk, pos);
    if (end === -1) return -1;
    decide(true, out);
    const last = side.complete(scanner, stamp as Stamp);
    piece(out, pos, end, last);
    return end;
  }

  function settle(out: ChunkRanges): void {
    for (const open of side.settle?.(stamp) ?? []) out.addBytes(EMPTY, open.exchange, open.first, true, open.info, open.noReply);
  }

  function goRaw(out: ChunkRanges, rest: Buffer, problem: string): void {
    raw = true;
    context.log.warning(`${direction === 'request' ? 'client' : 'server'} sent bytes that are not RESP (${problem}); passing the rest of this connection through unframed`);
    // The value in progress ends with what could not be framed: its exchange is not left open.
    if (stamp !== undefined && inValue) ownPiece(out, rest, true);
    else if (rest.length > 0) out.addBytes(rest, 0, true, true);
    settle(out);
    inValue = false;
    stamp = undefined;
  }

  /**
   * Frames `chunk` into `out`. Messages are collected rather than yielded by a generator: a
   * generator's suspend and resume per message cost more than the framing.
   */
  function frame(chunk: Buffer, out: ChunkRanges): void {
    if (raw) {
      settle(out);
      out.add(0, chunk.length, 0, true, true);
      return;
    }
    let pos = 0;
    let start = 0; // where the current value's unemitted bytes begin in this chunk
    while (pos < chunk.length) {
      if (!inValue) {
        inValue = true;
        start = pos;
        stamp = undefined;
        inline = side.inline !== undefined && chunk[pos] !== STAR;
        const end = inline ? -1 : wholeValue(chunk, pos, out);
        if (end !== -1) {
          inValue = false;
          pos = start = end;
          continue;
        }
      }
      if (inline) {
        const lf = chunk.indexOf(LF, pos);
        if (lf === -1) {
          held.hold(chunk.subarray(start));
          pos = start = chunk.length;
          if (held.size > INLINE_MAX) goRaw(out, held.take(EMPTY), 'an inline command longer than 64 KiB');
          break;
        }
        const unheld = held.size === 0;
        const line = held.take(chunk.subarray(start, lf + 1));
        const at = (side.inline as NonNullable<RespSide['inline']>)(line);
        if (unheld) out.add(start, lf + 1, at.exchange, at.first, true, at.info, at.noReply);
        else out.addBytes(line, at.exchange, at.first, true, at.info, at.noReply);
        inValue = false;
        pos = start = lf + 1;
        continue;
      }
      pos = scanner.scan(chunk, pos);
      const event = scanner.event;
      if (event === RespEvent.Malformed) {
        goRaw(out, held.take(chunk.subarray(start)), scanner.problem);
        return;
      }
      if (event === RespEvent.End) {
        if (stamp === undefined) decide(true, out);
        const last = side.complete(scanner, stamp as Stamp);
        piece(out, start, pos, last);
        inValue = false;
        start = pos;
      } else if (event !== RespEvent.None && stamp === undefined) {
        decide(false, out);
      }
    }
    if (!inValue || inline || start >= chunk.length) return;
    // The chunk ends inside a value: its bytes go on now if its exchange is known.
    if (stamp === undefined) decide(false, out);
    if (stamp === undefined) {
      held.hold(chunk.subarray(start));
      if (held.size <= LOOKAHEAD_MAX) return;
      decide(true, out);
      ownPiece(out, held.take(EMPTY), false);
      return;
    }
    piece(out, start, chunk.length, false);
  }

  return {
    push(chunk: Buffer): ChunkRanges {
      const out = new ChunkRanges(chunk, direction);
      frame(chunk, out);
      return out;
    },
    end(): Message[] {
      // Leftovers still go through: an undecided partial value goes as exchange 0.
      return !raw && held.size > 0 ? [{ bytes: held.take(EMPTY), direction, exchange: 0, first: true, last: true }] : [];
    },
  };
}
