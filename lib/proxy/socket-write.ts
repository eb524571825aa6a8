// Writing to a socket: the messages a chunk was framed into leave in one write when they are
// still contiguous views of that chunk (a tcp chunk cut into 2 KiB messages is one write, not
// 32), and every write to a socket goes through its SocketWriter, so order holds. Backpressure
// works as with `pipe`: every write is accepted, and the source waits for 'drain' before its
// next chunk when the socket is over its high-water mark.
import type { Socket } from 'node:net';

export class SocketWriter {
  /** Bytes waiting to be written: `first`, or the span [start, end) of its memory once extended. */
  private first: Buffer | undefined;
  private spanStart = 0;
  private spanEnd = 0;

  constructor(readonly socket: Socket) {}

  /** Queues `bytes`; they go out at the next flush(), merged with their neighbours when contiguous. */
  write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const first = this.first;
    if (first !== undefined) {
      if (bytes.buffer === first.buffer && bytes.byteOffset === this.spanEnd) {
        this.spanEnd += bytes.length;
        return;
      }
      this.flush();
    }
    this.first = bytes;
    this.spanStart = bytes.byteOffset;
    this.spanEnd = bytes.byteOffset + bytes.length;
  }

  /** Writes what is queued. */
  flush(): void {
    const first = this.first;
    if (first === undefined) return;
    this.first = undefined;
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(this.spanEnd - this.spanStart === first.length ? first : Buffer.from(first.buffer, this.spanStart, this.spanEnd - this.spanStart));
  }

  /** Flushes, then sends FIN once written; `then` runs when the socket has finished. */
  end(then?: () => void): void {
    this.flush();
    if (then === undefined) this.socket.end();
    else this.socket.end(then);
  }

  /** Resolves when the socket can take more (or is gone); undefined when it can already. */
  drained(): Promise<void> | undefined {
    const socket = this.socket;
    if (!socket.writableNeedDrain || socket.destroyed) return undefined;
    return new Promise((resolve) => {
      const settle = (): void => {
        socket.off('drain', settle);
        socket.off('close', settle);
        resolve();
      };
      socket.on('drain', settle);
      socket.on('close', settle);
    });
  }
}
