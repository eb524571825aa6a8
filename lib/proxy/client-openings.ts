// Tells how each client of a port that takes both kinds starts: with TLS at once (its first
// bytes are a ClientHello) or in plaintext (it may switch to TLS inside the protocol later). Its
// first bytes are put back untouched; a client that is neither is closed alone, logged once.
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { looksLikeTls } from '../pipeline/tls-passthrough.js';

/**
 * How long a client of a server-first protocol (MySQL, SMTP) has to show it starts with TLS. A
 * plaintext client says nothing before the greeting, which waits this long at most; a TLS client
 * sends its ClientHello as soon as it is connected.
 */
export const IMPLICIT_TLS_WAIT_MS = 50;

/** Where a client goes once told. */
export interface OpeningRoutes {
  /** It starts with TLS (its ClientHello put back): the TLS listener takes it. */
  tls(socket: Socket): void;
  /** It starts in plaintext (its first bytes, if any, put back): a connection of its own. */
  plain(socket: Socket): void;
}

export class ClientOpenings {
  /** Clients not yet told apart (closed at shutdown). */
  private readonly pending = new Set<Socket>();

  constructor(
    /** The server speaks first: a silent client is a plaintext one, once IMPLICIT_TLS_WAIT_MS passed. */
    private readonly serverFirst: boolean,
    /** A client-first protocol's client that says nothing for this long is closed (it is not a connection yet). */
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly routes: OpeningRoutes,
  ) {}

  /** Reads the first bytes of a newly accepted client, then routes it. */
  take(socket: Socket): void {
    this.pending.add(socket);
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const done = (): boolean => {
      if (!this.pending.delete(socket)) return false;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.off('error', onError);
      return true;
    };
    const onData = (chunk: Buffer): void => {
      // Paused before the chunk goes back: a flowing socket would hand it to nobody.
      socket.pause();
      if (!done()) return;
      socket.unshift(chunk);
      this.route(socket, looksLikeTls(chunk, 'request'));
    };
    const onEnd = (): void => {
      if (!done()) return;
      this.log.debug(`client ${peer}: closed before it said anything`);
      socket.destroy();
    };
    const onClose = (): void => void done();
    // A reset before the first byte: the 'close' that follows ends it.
    const onError = (): void => {};
    const onSilence = (): void => {
      if (this.serverFirst) {
        // After the poll phase: bytes that came while the event loop was busy are read first.
        setImmediate(() => {
          if (done()) this.route(socket, false);
        });
        return;
      }
      if (!done()) return;
      this.log.debug(`client ${peer}: said nothing within ${this.timeoutMs / 1000}s; closed`);
      socket.destroy();
    };
    const timer = setTimeout(onSilence, this.serverFirst ? IMPLICIT_TLS_WAIT_MS : this.timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  /** Graceful shutdown: clients not yet told apart are closed (none is a connection yet). */
  close(): void {
    for (const socket of [...this.pending]) socket.destroy();
    this.pending.clear();
  }

  private route(socket: Socket, tls: boolean): void {
    if (tls) {
      this.routes.tls(socket);
      return;
    }
    this.routes.plain(socket);
    // The connection reads it now; what was put back comes first.
    socket.resume();
  }
}
