// Frames memcached answers: each line is one message, each data block (after `VALUE` or `VA`)
// follows as views of at most `buffer` bytes, counted down, never buffered whole. A retrieval's
// answer runs to its `END` (or an error line), a `stats` answer over its STAT lines: `last`
// marks the message that completes an answer. Pairing with requests is memcache-pairing's job.
// The pieces of one answer that lie in one chunk are gathered into messages of up to `buffer`
// bytes: a GET's VALUE line, block and END cost one message, not three. Boundaries follow the
// chunks and `buffer`, never the behavior drawn.
// Bytes are never changed; malformed answers are passed through raw after one warning.
import { ChunkRanges } from '../../../lib/contract/chunk-ranges.js';
import type { Message } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { LineReader } from './line-reader.js';
import { addRawPieces } from './raw-pieces.js';
import { firstToken, tokenNumber } from './memcache-commands.js';
import { shareTexts } from './latin1-text.js';
import { ResponsePairing, type MemcacheShared } from './memcache-pairing.js';

/** memcached's answer lines are short (a VALUE line is at most ~300 bytes); longer is not memcached. */
export const MAX_RESPONSE_LINE_BYTES = 64 * 1024;
const MAX_DATA_LENGTH = 2 ** 31 - 1;
const EMPTY = Buffer.alloc(0);
// The heads the framer compares: read from a GET's answer, `VALUE` and `END` are these strings.
shareTexts(['STAT', 'ITEM', 'PREFIX', 'MN', 'HD', 'EN', 'VA', 'END', 'VALUE']);

/** How an answer goes on after its first line. */
type Shape = 'single' | 'items' | 'stats' | 'crawler';
type Mode = 'start' | 'more' | 'data' | 'raw';

function shapeOf(command: string | undefined): Shape {
  switch (command) {
    case 'get':
    case 'gets':
    case 'gat':
    case 'gats':
      return 'items';
    case 'stats':
      return 'stats';
    case 'lru_crawler':
      return 'crawler';
    default:
      return 'single';
  }
}

/** A line (`line[start, end)`) that does not end the answer it is part of (any other line, END or an error, does). */
function continues(shape: Shape, head: string, line: Buffer, start: number, end: number): boolean {
  if (shape === 'stats') return head === 'STAT' || head === 'ITEM' || head === 'PREFIX';
  // lru_crawler metadump lists `key=…` lines, mgdump `mg <key>` lines, until END / EN.
  if (shape === 'crawler') return head === 'mg' || (end - start > 4 && line.toString('latin1', start, start + 4) === 'key=');
  return false;
}

/** The data block size announced by a `VALUE <key> <flags> <bytes> [<cas>]` or `VA <size> <flags>*` line (`line[start, end)`). */
function dataLengthOf(head: string, line: Buffer, start: number, end: number): number | undefined {
  // Read from the bytes: one per answer, and splitting the line into strings cost more than
  // the rest of its framing.
  const length = tokenNumber(line, head === 'VA' ? 1 : 3, start, end);
  return length !== undefined && length <= MAX_DATA_LENGTH ? length : undefined;
}

export function createMemcacheResponseFramer(context: FramerContext, state: MemcacheShared, bufferBytes: number): Framer {
  const pairing = new ResponsePairing(context, state);
  const lines = new LineReader();
  const closed: number[] = [];
  let mode: Mode = 'start';
  let exchange = 0;
  let shape: Shape = 'single';
  let remaining = 0; // data block bytes still to come, CRLF included
  let moreAfterData = false; // a VALUE's block is followed by more of the answer (up to END)

  // The answer in progress (unless outside exchanges): its pieces in this chunk are gathered
  // into one message, [runStart, runEnd) of the chunk (runStart -1: none gathered).
  let passing = false;
  let runStart = -1;
  let runEnd = 0;
  let runFirst = false;

  /** Ends the gathered message; `last` when its final piece completes the answer. */
  function endRun(out: ChunkRanges, last: boolean): void {
    if (runStart === -1) return;
    out.add(runStart, runEnd, exchange, runFirst, last);
    runStart = -1;
  }

  /** A piece of the current answer, `holder[start, end)`: gathered when it passes, else a message of its own. */
  function piece(out: ChunkRanges, chunk: Buffer, holder: Buffer, start: number, end: number, first: boolean, last: boolean): void {
    // A line copied out of two chunks (holder is not the chunk) comes first in its chunk: nothing is gathered yet.
    if (passing && holder === chunk) {
      if (runStart !== -1 && runEnd - runStart + (end - start) > bufferBytes) endRun(out, false);
      if (runStart === -1) {
        runStart = start;
        runFirst = first;
      }
      runEnd = end;
      if (last) endRun(out, true);
      return;
    }
    if (holder === chunk) out.add(start, end, exchange, first, last);
    else out.addBytes(holder, exchange, first, last);
  }

  const raw = (out: ChunkRanges, bytes: Buffer, from: number): void => addRawPieces(out, bytes, from, bufferBytes);

  /** Frames `chunk` into `out` (collected: cheaper than a generator's suspend and resume per message). */
  function frame(chunk: Buffer, out: ChunkRanges): void {
    if (state.binary && mode !== 'raw') {
      mode = 'raw';
      // A partial line read before the client turned out binary goes first: bytes keep their order.
      if (lines.pendingBytes > 0) raw(out, lines.takePending(), 0);
    }
    let at = 0;
    while (at < chunk.length) {
      if (mode === 'raw') {
        endRun(out, false);
        return raw(out, chunk, at);
      }
      if (mode === 'data') {
        const size = Math.min(remaining, chunk.length - at, bufferBytes);
        remaining -= size;
        const done = remaining === 0;
        piece(out, chunk, chunk, at, at + size, false, done && !moreAfterData);
        at += size;
        if (done) mode = moreAfterData ? 'more' : 'start';
        continue;
      }
      const holder = lines.find(chunk, at);
      if (holder === undefined) {
        if (lines.pendingBytes > MAX_RESPONSE_LINE_BYTES) {
          context.log.warning(`memcache: an answer line is longer than ${MAX_RESPONSE_LINE_BYTES} bytes; passing the rest through raw`);
          mode = 'raw';
          endRun(out, false);
          raw(out, lines.takePending(), 0);
        }
        return;
      }
      const { lineStart, lineEnd } = lines;
      at = lines.next;
      const head = firstToken(holder, lineStart, lineEnd);
      const first = mode === 'start';
      if (first) {
        pairing.match(holder, lineStart, lineEnd, head, closed);
        if (closed.length > 0) {
          for (const done of closed) out.addBytes(EMPTY, done, true, true);
          closed.length = 0;
        }
        exchange = pairing.exchange;
        shape = shapeOf(pairing.command);
        passing = exchange !== 0;
      }
      if (head === 'VALUE' || head === 'VA') {
        const length = dataLengthOf(head, holder, lineStart, lineEnd);
        if (length === undefined) {
          context.log.warning(`memcache: malformed ${head} line from the backend; passing the rest through raw`);
          mode = 'raw';
          // The line still closes the answer it began, so nothing waits for that answer.
          piece(out, chunk, holder, lineStart, lineEnd, first, true);
          continue;
        }
        moreAfterData = head === 'VALUE';
        remaining = length + 2;
        mode = 'data';
        piece(out, chunk, holder, lineStart, lineEnd, first, false);
        continue;
      }
      const more = continues(shape, head, holder, lineStart, lineEnd);
      mode = more ? 'more' : 'start';
      piece(out, chunk, holder, lineStart, lineEnd, first, !more);
    }
  }

  return {
    push(chunk: Buffer): ChunkRanges {
      const out = new ChunkRanges(chunk, 'response');
      frame(chunk, out);
      // The answer goes on in the next chunk: what was gathered of it goes now.
      endRun(out, false);
      return out;
    },
    end(): Message[] {
      // A cut answer's tail still goes through, outside any exchange.
      return lines.pendingBytes > 0 ? [{ bytes: lines.takePending(), direction: 'response', exchange: 0, first: true, last: true }] : [];
    },
  };
}
