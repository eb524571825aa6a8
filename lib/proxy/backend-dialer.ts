// How a connection reaches its backend (TCP here, TLS in backend-tls.ts). The dialer names the
// event after which the socket carries the protocol's bytes: until then the connection is
// `connecting`, and a failure makes the backend unavailable (http: a 502), like a refusal.
import { connect, type Socket } from 'node:net';
import type { HostPort } from './address.js';

export interface BackendDialer {
  /** A new connection to `address`: half-open allowed, no Nagle delay. Writes before it is ready are queued. */
  dial(address: HostPort): Socket;
  /** The socket's event that makes the connection `open`. */
  readonly readyEvent: 'connect' | 'secureConnect';
  /** Why the connection could not be made, for the one log line ("ECONNREFUSED", "TLS handshake failed: …"). */
  failureReason(error: NodeJS.ErrnoException): string;
}

export const tcpDialer: BackendDialer = {
  // The noDelay option given to connect() is applied once connected.
  dial: ({ host, port }) => connect({ host, port, allowHalfOpen: true, noDelay: true }),
  readyEvent: 'connect',
  failureReason: (error) => error.code ?? error.message,
};
