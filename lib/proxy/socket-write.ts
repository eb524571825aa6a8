// Writing to a socket the way `pipe` does: every write is accepted, and the source waits for
// 'drain' before its *next* chunk when the socket is over its high-water mark. Waiting after
// each small message instead would stall a chunk framed into many messages on every drain.
import type { Socket } from 'node:net';

export function writeTo(socket: Socket, bytes: Buffer): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.write(bytes);
}

/** Resolves when `socket` can take more (or is gone); undefined when it can already. */
export function drained(socket: Socket): Promise<void> | undefined {
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

/** Batches the writes one chunk produces into a single syscall: cork now, uncork next tick. */
export function corkForTick(socket: Socket): void {
  if (socket.writableCorked > 0 || socket.destroyed) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
