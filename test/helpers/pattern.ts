// A long byte stream that checks itself: a fixed random block (of a length that is no power of
// two) repeated. A lost, duplicated or reordered piece shifts the phase and fails the next
// comparison, so gigabytes can be verified with memcmp speed and without keeping any of them.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

const BLOCK = randomBytes(1024 * 1024 + 7);
const WRITE_BYTES = 64 * 1024;

/** The `length` bytes of the pattern that start at `offset` (a view: at most the rest of one block). */
export function patternSlice(offset: number, length: number): Buffer {
  const at = offset % BLOCK.length;
  return BLOCK.subarray(at, at + Math.min(length, BLOCK.length - at));
}

/** Writes `total` bytes of the pattern, honouring backpressure; `sent` is readable at any time. */
export interface PatternSource {
  readonly sent: () => number;
  /** Resolves once everything was handed to the socket (and the socket ended, when asked). */
  readonly done: Promise<void>;
}

export function sendPattern(socket: Socket, total: number, options: { end?: boolean } = {}): PatternSource {
  let sent = 0;
  const done = new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent < total) {
        if (socket.destroyed) return reject(new Error(`socket closed after ${sent} of ${total} bytes`));
        const at = sent % BLOCK.length;
        const length = Math.min(WRITE_BYTES, BLOCK.length - at, total - sent);
        sent += length;
        if (!socket.write(BLOCK.subarray(at, at + length))) return void socket.once('drain', pump);
      }
      if (options.end !== false) socket.end();
      resolve();
    };
    pump();
  });
  return { sent: () => sent, done };
}

/** Checks bytes as they arrive against the pattern; throws (via `error`) at the first mismatch. */
export interface PatternSink {
  readonly received: () => number;
  /** The first mismatch, if any. */
  readonly error: () => Error | undefined;
  /** Resolves with the byte count once the socket ends. */
  readonly ended: Promise<number>;
}

export function receivePattern(socket: Socket): PatternSink {
  let received = 0;
  let error: Error | undefined;
  socket.on('data', (data: Buffer) => {
    if (error === undefined) {
      let offset = 0;
      while (offset < data.length) {
        const at = (received + offset) % BLOCK.length;
        const length = Math.min(data.length - offset, BLOCK.length - at);
        if (data.compare(BLOCK, at, at + length, offset, offset + length) !== 0) {
          error = new Error(`byte stream differs from the pattern in the ${length} bytes at offset ${received + offset}`);
          break;
        }
        offset += length;
      }
    }
    received += data.length;
  });
  const ended = new Promise<number>((resolve, reject) => {
    socket.once('end', () => resolve(received));
    socket.once('error', reject);
  });
  return { received: () => received, error: () => error, ended };
}
