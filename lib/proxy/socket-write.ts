// Writing to a socket with backpressure: a write the socket cannot take at once returns a
// promise that settles on 'drain' (or 'close'), which the pipeline turns into a paused source.
import type { Socket } from 'node:net';

export function writeWithBackpressure(socket: Socket, bytes: Buffer): void | Promise<void> {
  if (socket.destroyed || socket.writableEnded) return;
  if (socket.write(bytes)) return;
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

/** Batches the writes one chunk produces into a single syscall: cork now, uncork next tick. */
export function corkForTick(socket: Socket): void {
  if (socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
