// Passing a reset on: when one side of a connection resets, the proxy resets the other, so it
// sees what a direct peer would have caused. A TLS socket is reset through the TCP socket under
// it (tls-transport.ts): Node's resetAndDestroy() throws on anything but a TCP handle.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { transportOf } from './tls-transport.js';

/**
 * Resets `socket` (RST), or destroys it plainly while its FIN is still being sent. Node's
 * resetAndDestroy() meets a refusal from libuv when a shutdown is pending (uv_tcp_close_reset:
 * EINVAL); Node then emits that error and leaves the handle open for good: 'close' never
 * comes, the connection is never released, and at exit Node's handle cleanup spins at 100 %
 * CPU waiting for it. Seen under bulk traffic when a client sent FIN (the backend's end() was
 * under way) and then RST. A FIN already queued tells the peer the same thing in that case.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded && !socket.writableFinished) socket.destroy();
  else if (socket instanceof TLSSocket) resetTls(socket);
  else socket.resetAndDestroy();
}

/**
 * The TCP socket goes first (its handle is then closed, so destroying the TLS socket cannot
 * send a FIN after the RST). A TLS socket vaurien did not make is closed plainly.
 */
function resetTls(socket: TLSSocket): void {
  const transport = transportOf(socket);
  if (transport !== undefined && !transport.destroyed) transport.resetAndDestroy();
  socket.destroy();
}
