// Idle backend connections kept for reuse (a protocol's `reuse_socket`, sized by
// --pool-max-size, kept --pool-timeout seconds). A pooled socket is one a client left between
// exchanges, with nothing unread; any sign of life while idle (data, end, error) drops it.
import type { Socket } from 'node:net';
import type { HostPort } from './address.js';

interface Idle {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
  readonly drop: () => void;
}

export class BackendPool {
  private readonly idle = new Map<string, Idle[]>();
  private size = 0;
  /** Backend connections handed out again instead of opening new ones. */
  reused = 0;

  constructor(
    private readonly maxSize: number,
    private readonly idleMs: number,
  ) {}

  /** A healthy idle connection to `address`, taken out of the pool, or undefined. */
  acquire(address: HostPort): Socket | undefined {
    const list = this.idle.get(key(address));
    for (let entry = list?.pop(); entry !== undefined; entry = list?.pop()) {
      this.forget(entry);
      if (!entry.socket.destroyed && entry.socket.readyState === 'open') {
        this.reused++;
        return entry.socket;
      }
      entry.socket.destroy();
    }
    return undefined;
  }

  /** Offers a connection back; false (and nothing kept) when the pool is full or it is unfit. */
  release(address: HostPort, socket: Socket): boolean {
    if (this.size >= this.maxSize || socket.destroyed || socket.readyState !== 'open' || socket.readableLength > 0) return false;
    const entry: Idle = {
      socket,
      timer: setTimeout(() => drop(), this.idleMs).unref(),
      drop: () => drop(),
    };
    const drop = (): void => {
      const list = this.idle.get(key(address));
      const at = list?.indexOf(entry) ?? -1;
      if (at === -1) return;
      list?.splice(at, 1);
      this.forget(entry);
      socket.destroy();
    };
    socket.on('data', entry.drop);
    socket.on('end', entry.drop);
    socket.on('error', entry.drop);
    socket.on('close', entry.drop);
    socket.resume(); // flowing, so a FIN or stray bytes while idle are noticed at once
    const list = this.idle.get(key(address)) ?? [];
    list.push(entry);
    this.idle.set(key(address), list);
    this.size++;
    return true;
  }

  closeAll(): void {
    for (const list of this.idle.values()) {
      for (const entry of list.splice(0)) {
        this.forget(entry);
        entry.socket.destroy();
      }
    }
  }

  private forget(entry: Idle): void {
    clearTimeout(entry.timer);
    entry.socket.off('data', entry.drop);
    entry.socket.off('end', entry.drop);
    entry.socket.off('error', entry.drop);
    entry.socket.off('close', entry.drop);
    this.size--;
  }
}

function key({ host, port }: HostPort): string {
  return `${host}|${port}`;
}
