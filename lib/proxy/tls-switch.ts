// Secures one peer of a connection at its protocol's switch to TLS (STARTTLS, an SSL request):
// its TCP socket becomes a TLS socket at that exact byte, the bytes already read past it going
// into the TLS layer first (none lost, none reordered). Each handshake ends in one report.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { secureBackendSocket } from './backend-tls.js';
import { describeTlsError } from './tls-errors.js';
import type { BackendTls } from './tls-options.js';
import { registerTransport } from './tls-transport.js';

/** What a connection needs to terminate a switch: TLS toward both peers. */
export interface TlsSwitchTerms {
  /** vaurien's certificate and key, as clients see them (--tls-cert, --tls-key). */
  readonly clientContext: SecureContext;
  /** How the backend is checked (--backend-tls and its CA or insecure). */
  readonly backendTls: BackendTls;
  /** The longest a handshake may take (--timeout, even with --stay-connected: no traffic flows until it ends). */
  readonly handshakeTimeoutMs: number;
}

export type TlsPeer = 'client' | 'backend';

/** How a handshake ended: exactly one of these is called. */
export interface HandshakeReport {
  /** Done: the socket carries the protocol's bytes again. */
  secured(socket: TLSSocket): void;
  /** Failed, the socket destroyed: why, and whether the peer merely went away (a close, a reset). */
  failed(reason: string, peerLeft: boolean): void;
}

/**
 * `tcp`, whose reading the caller has stopped, as a TLS socket: vaurien is the TLS server of the
 * client and the TLS client of the backend `host` (SNI, certificate check as --backend-tls says).
 * `unread`, the bytes read past the switch, are the first the TLS layer reads. Undefined when
 * the peer's stream already ended: no TLS can follow.
 */
export function secureAtSwitch(peer: TlsPeer, tcp: Socket, unread: readonly Buffer[], host: string, terms: TlsSwitchTerms, report: HandshakeReport): TLSSocket | undefined {
  if (tcp.readableEnded || tcp.destroyed) return undefined;
  // unshift() puts a chunk in front of those buffered: the last one goes back first. Node's
  // TLSSocket reads what its socket buffered before anything from the wire.
  for (let at = unread.length - 1; at >= 0; at--) {
    const bytes = unread[at] as Buffer;
    if (bytes.length > 0) tcp.unshift(bytes);
  }
  const socket = peer === 'client' ? serverSocket(tcp, terms.clientContext) : secureBackendSocket(tcp, host, terms.backendTls);
  watchHandshake(socket, peer === 'client' ? 'secure' : 'secureConnect', terms.handshakeTimeoutMs, report);
  return socket;
}

function serverSocket(tcp: Socket, secureContext: SecureContext): TLSSocket {
  const socket = new TLSSocket(tcp, { isServer: true, secureContext });
  // A reset goes to the TCP socket under it (reset-socket.ts).
  registerTransport(socket, tcp);
  return socket;
}

/**
 * Reports the handshake's end once. Until then this watch alone listens for errors: the
 * connection's own listeners come with `secured`. A peer that ends its stream mid-handshake has
 * given up on it (half-open makes no sense before TLS is up).
 */
function watchHandshake(socket: TLSSocket, readyEvent: 'secure' | 'secureConnect', timeoutMs: number, report: HandshakeReport): void {
  const settle = (): void => {
    clearTimeout(timer);
    socket.off(readyEvent, onReady);
    socket.off('error', onError);
    socket.off('end', onLeft);
    socket.off('close', onLeft);
  };
  const fail = (reason: string, peerLeft: boolean): void => {
    settle();
    socket.destroy();
    report.failed(reason, peerLeft);
  };
  const onReady = (): void => {
    settle();
    report.secured(socket);
  };
  const onError = (error: NodeJS.ErrnoException): void => fail(describeTlsError(error), error.code === 'ECONNRESET');
  const onLeft = (): void => fail('closed during the TLS handshake', true);
  const timer = setTimeout(() => fail(`no TLS handshake within ${timeoutMs / 1000}s`, false), timeoutMs);
  socket.on(readyEvent, onReady);
  socket.on('error', onError);
  socket.on('end', onLeft);
  socket.on('close', onLeft);
}
