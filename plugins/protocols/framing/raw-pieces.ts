// Bytes a framer gave up on, passed through outside any exchange in pieces of at most `size`:
// ranges of the chunk when they are the chunk, else pieces of their own (a line held across
// chunks).
import type { ChunkRanges } from '../../../lib/contract/chunk-ranges.js';

/** Adds `bytes` from `from` on to `out`, exchange 0, in pieces of at most `size` bytes. */
export function addRawPieces(out: ChunkRanges, bytes: Buffer, from: number, size: number): void {
  for (let at = from; at < bytes.length; at += size) {
    if (bytes === out.chunk) out.add(at, Math.min(at + size, bytes.length), 0, true, true);
    else out.addBytes(bytes.subarray(at, at + size), 0, true, true);
  }
}
