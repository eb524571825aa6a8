// Which TCP socket carries each TLS socket vaurien made (an accepted client's, a backend's).
// Node resets only TCP handles (resetAndDestroy throws on a TLS socket): a reset has to go to
// the TCP socket underneath. Weak keys: an entry lives as long as its TLS socket.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

const transports = new WeakMap<TLSSocket, Socket>();

/** Records that `tlsSocket` runs over `tcpSocket`. */
export function registerTransport(tlsSocket: TLSSocket, tcpSocket: Socket): void {
  transports.set(tlsSocket, tcpSocket);
}

/** The TCP socket under `tlsSocket`, when vaurien made it. */
export function transportOf(tlsSocket: TLSSocket): Socket | undefined {
  return transports.get(tlsSocket);
}
