// Accepts clients over TLS (--tls-cert/--tls-key). A client becomes a Connection only once its
// handshake is done, so the engine gets a socket carrying plaintext; a failed handshake closes
// that client alone, logged once, and never becomes a connection (no number, backend or stats).
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import { describeTlsError } from './tls-errors.js';
import type { ProxyTls } from './tls-options.js';
import { registerTransport } from './tls-transport.js';

/** A client whose handshake is under way. */
interface Handshake {
  readonly tcp: Socket;
  /** `address:port`, read at once: a socket that closed cannot tell it any more. */
  readonly peer: string;
  /** Its failure was logged (one line per client). */
  logged: boolean;
}

export class TlsListener {
  readonly server: Server;
  /** Handshakes under way, by their address pair (how a TLS socket finds its TCP socket). */
  private readonly handshaking = new Map<string, Handshake>();
  private closing = false;

  constructor(
    tls: ProxyTls,
    timeoutMs: number,
    private readonly log: Logger,
    private readonly accept: (socket: TLSSocket) => void,
  ) {
    this.server = createServer(
      // The handshake counts against the idle timeout: a client that never finishes it is
      // cut then, even with --stay-connected (it is not a connection yet). Half-open is off
      // until the handshake ends: a client that sends FIN during it (a port probe) is let go
      // at once instead of holding a socket until that timeout.
      { cert: tls.cert, key: tls.key, allowHalfOpen: false, noDelay: true, handshakeTimeout: timeoutMs },
      (socket) => this.secured(socket),
    );
    this.server.on('connection', (tcp: Socket) => this.arrived(tcp));
    this.server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => this.failed(error, socket));
  }

  /**
   * Takes a client another listener accepted, its first bytes (a ClientHello) put back: a port
   * that also takes plaintext clients (a protocol that switches to TLS inside the connection).
   */
  adopt(tcp: Socket): void {
    // Half-open is off until the handshake ends, as for the clients this listener accepts.
    tcp.allowHalfOpen = false;
    this.server.emit('connection', tcp);
  }

  /** Stops new handshakes from becoming connections and ends those under way (graceful shutdown). */
  close(): void {
    this.closing = true;
    for (const { tcp } of this.handshaking.values()) tcp.destroy();
    this.handshaking.clear();
  }

  private arrived(tcp: Socket): void {
    const key = addressPair(tcp);
    const handshake: Handshake = { tcp, peer: `${tcp.remoteAddress ?? '?'}:${tcp.remotePort ?? '?'}`, logged: false };
    this.handshaking.set(key, handshake);
    tcp.once('close', () => {
      if (this.handshaking.get(key) !== handshake) return;
      this.handshaking.delete(key);
      // Closed by the client before its handshake ended (a port probe, a health check): routine.
      if (!handshake.logged && !this.closing) this.log.debug(`TLS client ${handshake.peer}: closed before its TLS handshake ended`);
    });
  }

  private secured(socket: TLSSocket): void {
    // The TLS socket answers for the same address pair as its TCP socket: no two open
    // connections share one, so this finds the socket a reset must go to.
    const key = addressPair(socket);
    const handshake = this.handshaking.get(key);
    if (handshake !== undefined) {
      this.handshaking.delete(key);
      registerTransport(socket, handshake.tcp);
    }
    if (this.closing) {
      socket.destroy();
      return;
    }
    // From now on a client's FIN is a half-close, as on a plaintext connection (Node lets a
    // Duplex change this before its 'end').
    socket.allowHalfOpen = true;
    this.accept(socket);
  }

  /**
   * A failed handshake (the socket is still open: Node reports before it closes the handle). A
   * client that closed the connection itself is reported when its TCP socket closes (`arrived`).
   */
  private failed(error: NodeJS.ErrnoException, socket: TLSSocket): void {
    const handshake = this.handshaking.get(addressPair(socket));
    socket.destroy();
    if (handshake === undefined || handshake.logged || this.closing) return;
    handshake.logged = true;
    const level = error.code === 'ECONNRESET' ? 'debug' : 'info';
    this.log[level](`TLS client ${handshake.peer}: handshake failed: ${describeTlsError(error)}; closed`);
  }
}

function addressPair(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}
