// Writing to a socket: what one chunk produced leaves in one system call. Messages that are
// still contiguous views of their chunk are merged back into one buffer (a tcp chunk cut into
// 2 KiB messages is one write, not 32); runs that are not (a reply that straddled two chunks
// was copied) go out together in one writev. Every write to a socket goes through its
// SocketWriter, so order holds. Backpressure works as with `pipe`: every write is accepted, and
// the source waits for 'drain' before its next chunk when the socket is over its high-water mark.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export class SocketWriter {
  /** Runs queued before the current one. */
  /** Made on first need: most flushes write one run. */
  private earlier: Buffer[] | undefined;
  /** The current run: the span [spanStart, spanEnd) of `first`'s memory (`first` itself until extended, unless it began as a range). */
  private first: Buffer | undefined;
  private spanStart = 0;
  private spanEnd = 0;
  /** `first.buffer`, once read. */
  private runMemory: ArrayBufferLike | undefined;

  constructor(private socket: Socket) {}

  /**
   * Writes to `socket` from now on (the TLS socket over the old one, at a protocol's switch to
   * TLS). What was queued goes to the old socket first: it came before the switch.
   */
  retarget(socket: Socket): void {
    this.flush();
    this.socket = socket;
  }

  /** Queues `bytes`; they go out at the next flush(), merged with their neighbours when contiguous. */
  write(bytes: Buffer): void {
    this.writeRange(bytes, 0, bytes.length);
  }

  /** `write` of the range [start, end) of `chunk`, with no view made when it continues the run. */
  writeRange(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const offset = chunk.byteOffset + start;
    const first = this.first;
    if (first !== undefined) {
      // The offset first, then identity (the next piece of the same chunk): reading `.buffer` is
      // a call into V8's runtime (3 % of busy time on pipelined redis when it was read twice per
      // message), and only a view of other memory that continues the run needs it.
      if (offset === this.spanEnd && (chunk === first || chunk.buffer === (this.runMemory ??= first.buffer))) {
        this.spanEnd += end - start;
        return;
      }
      (this.earlier ??= []).push(this.currentRun(first));
    }
    // The run's memory is the chunk's: `currentRun` cuts the span out of it (or gives the chunk whole).
    this.first = chunk;
    this.runMemory = undefined;
    this.spanStart = offset;
    this.spanEnd = chunk.byteOffset + end;
  }

  /** Writes what is queued, in one system call. */
  flush(): void {
    const first = this.first;
    if (first === undefined) return;
    this.first = undefined;
    const socket = this.socket;
    const earlier = this.earlier;
    if (socket.destroyed || socket.writableEnded) {
      if (earlier !== undefined) earlier.length = 0;
      return;
    }
    if (earlier === undefined || earlier.length === 0) {
      socket.write(this.currentRun(first));
      return;
    }
    socket.cork();
    for (const run of earlier) socket.write(run);
    socket.write(this.currentRun(first));
    earlier.length = 0;
    socket.uncork();
  }

  /** Flushes, then sends FIN once written; `then` runs when the socket has finished. */
  end(then?: () => void): void {
    this.flush();
    const socket = this.socket;
    if (then !== undefined) socket.end(then);
    // The peer already sent its FIN and every byte reached the kernel: close() sends ours after
    // them, as shutdown() would, without the shutdown call and Node's steps from end() to close.
    else if (socket.readableEnded && socket.writableLength === 0 && !socket.connecting && !(socket instanceof TLSSocket)) socket.destroy();
    else socket.end();
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

  private currentRun(first: Buffer): Buffer {
    const length = this.spanEnd - this.spanStart;
    return length === first.length && this.spanStart === first.byteOffset ? first : Buffer.from(this.runMemory ?? first.buffer, this.spanStart, length);
  }
}
