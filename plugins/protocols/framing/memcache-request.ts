// Frames memcached client traffic: each command line opens an exchange and is one message; a
// storage command's data block follows as views of at most `buffer` bytes, counted down (never
// buffered whole), the last one closing the request. Bytes are never changed; a client that
// opens with the binary protocol (0x80) is passed through raw, as are the bytes after a line
// too long to be a command (one warning).
import { ChunkRanges } from '../../../lib/contract/chunk-ranges.js';
import type { Message } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { LineReader } from './line-reader.js';
import { addRawPieces } from './raw-pieces.js';
import { parseRequestLine } from './memcache-commands.js';
import { rememberQuiet, type MemcacheShared } from './memcache-pairing.js';

/** First byte of a binary-protocol request. */
const BINARY_MAGIC = 0x80;
/**
 * Longest command line waited for. memcached reads multi-get lines of any length, so this is
 * generous (thousands of keys); past it the stream cannot be memcached text, and goes raw.
 */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024 * 1024;

type Mode = 'start' | 'line' | 'data' | 'raw';

export function createMemcacheRequestFramer(context: FramerContext, state: MemcacheShared, bufferBytes: number): Framer {
  const lines = new LineReader();
  let mode: Mode = 'start';
  let exchange = 0;
  let noReply = false;
  let remaining = 0; // data block bytes still to come, CRLF included

  const raw = (out: ChunkRanges, bytes: Buffer, from: number): void => addRawPieces(out, bytes, from, bufferBytes);

  /** Frames `chunk` into `out` (collected: cheaper than a generator's suspend and resume per message). */
  function frame(chunk: Buffer, out: ChunkRanges): void {
    if (mode === 'start' && chunk.length > 0) {
      mode = chunk[0] === BINARY_MAGIC ? 'raw' : 'line';
      if (mode === 'raw') state.binary = true;
    }
    let at = 0;
    while (at < chunk.length) {
      if (mode === 'raw') return raw(out, chunk, at);
      if (mode === 'data') {
        const size = Math.min(remaining, chunk.length - at, bufferBytes);
        remaining -= size;
        out.add(at, at + size, exchange, false, remaining === 0, undefined, noReply);
        at += size;
        if (remaining === 0) mode = 'line';
        continue;
      }
      const holder = lines.find(chunk, at);
      if (holder === undefined) {
        if (lines.pendingBytes > MAX_REQUEST_LINE_BYTES) {
          context.log.warning(`memcache: a request line is longer than ${MAX_REQUEST_LINE_BYTES} bytes; passing the rest through raw`);
          mode = 'raw';
          raw(out, lines.takePending(), 0);
        }
        return;
      }
      at = lines.next;
      const { lineStart, lineEnd } = lines;
      exchange = context.openExchange();
      const request = parseRequestLine(holder, exchange, lineStart, lineEnd);
      if (request.quiet !== undefined) rememberQuiet(state, request.quiet);
      noReply = request.noReply;
      remaining = request.dataBytes;
      if (remaining > 0) mode = 'data';
      if (holder === chunk) out.add(lineStart, lineEnd, exchange, true, remaining === 0, request.info, noReply);
      else out.addBytes(holder, exchange, true, remaining === 0, request.info, noReply);
    }
  }

  return {
    push(chunk: Buffer): ChunkRanges {
      const out = new ChunkRanges(chunk, 'request');
      frame(chunk, out);
      return out;
    },
    end(): Message[] {
      // An unfinished command line is still delivered, outside any exchange: no answer comes.
      return lines.pendingBytes > 0 ? [{ bytes: lines.takePending(), direction: 'request', exchange: 0, first: true, last: true }] : [];
    },
  };
}
