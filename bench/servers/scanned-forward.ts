// The bench's scanning proxies forward like this: `data` events and `write`, each chunk handed
// to the direction's scanner first, `from` paused while `to` is over its high-water mark.
import type { Socket } from 'node:net';

/** Forwards `from` to `to`, each chunk given to `scan` (when there is one) before it is written. */
export function forwardScanned(from: Socket, to: Socket, scan: ((chunk: Buffer) => void) | undefined): void {
  from.on('data', (chunk: Buffer) => {
    scan?.(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
  from.on('close', () => to.destroy());
}
