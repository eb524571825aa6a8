// Backend connections over TLS (--backend-tls): TCP, then TLS on that socket, SNI from the host
// name (none for an IP), the certificate checked against --backend-tls-ca or Node's CAs unless
// insecure. Ready at 'secureConnect': a refused certificate is an unavailable backend.
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { BackendDialer } from './backend-dialer.js';
import { describeTlsError, isTlsError } from './tls-errors.js';
import type { BackendTls } from './tls-options.js';
import { registerTransport } from './tls-transport.js';

export function tlsDialer(tls: BackendTls): BackendDialer {
  return {
    // Our own TCP socket under the TLS one: a reset has to reach it (tls-transport.ts).
    dial: ({ host, port }) => secureBackendSocket(connect({ host, port, allowHalfOpen: true, noDelay: true }), host, tls),
    readyEvent: 'secureConnect',
    failureReason(error) {
      // TCP's own errors (ECONNREFUSED, ENOTFOUND) read as they do without TLS.
      return isTlsError(error) ? `TLS handshake failed: ${describeTlsError(error)}` : (error.code ?? error.message);
    },
  };
}

/** TLS as a client of the backend `host` over `tcp` (connected or not), as --backend-tls says. */
export function secureBackendSocket(tcp: Socket, host: string, tls: BackendTls): TLSSocket {
  const socket = tlsConnect({
    socket: tcp,
    // The name the certificate is checked against: the host, an IP address included.
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    // One context for every connection: tls.connect() would otherwise build one (and parse
    // the CA list) per connection.
    secureContext: tls.secureContext,
    rejectUnauthorized: !tls.insecure,
  });
  registerTransport(socket, tcp);
  return socket;
}
