// Caps the control API's connections without letting slow clients lock others out: at the cap, a
// new connection evicts the one that has waited longest with no request in progress (trickling
// headers, or idle), never one being served; a newcomer is refused only when all are served.
import type { Socket } from 'node:net';

/**
 * Node's own cap (`server.maxConnections`) refuses the *newest* connection: 256 clients trickling
 * their headers kept everyone else out for as long as they reconnected. A legitimate client sends
 * its headers at once, so it is never the oldest waiting connection, and is never the one evicted.
 */
export class ConnectionGuard {
  /** Connections with no request in progress, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<Socket>();
  /** Connections serving requests, with how many (pipelined requests overlap). */
  private readonly serving = new Map<Socket, number>();

  constructor(private readonly maxConnections: number) {}

  /** A new connection: admitted, evicting the oldest waiting one at the cap, or refused. */
  admit(socket: Socket): void {
    if (this.waiting.size + this.serving.size >= this.maxConnections) {
      const oldest = this.waiting.values().next();
      if (oldest.done === true) {
        socket.destroy();
        return;
      }
      this.forget(oldest.value);
      oldest.value.destroy();
    }
    this.waiting.add(socket);
    socket.once('close', () => this.forget(socket));
  }

  /** Its headers are in: the connection is serving a request and cannot be evicted. */
  requestStarted(socket: Socket): void {
    if (!this.waiting.delete(socket) && !this.serving.has(socket)) return; // already closed
    this.serving.set(socket, (this.serving.get(socket) ?? 0) + 1);
  }

  /** Its answer went (or the request was abandoned): waiting again, newest in line. */
  requestFinished(socket: Socket): void {
    const count = this.serving.get(socket);
    if (count === undefined) return;
    if (count > 1) return void this.serving.set(socket, count - 1);
    this.serving.delete(socket);
    if (!socket.destroyed) this.waiting.add(socket);
  }

  /** Open connections, for tests and stats. */
  get size(): number {
    return this.waiting.size + this.serving.size;
  }

  private forget(socket: Socket): void {
    this.waiting.delete(socket);
    this.serving.delete(socket);
  }
}
