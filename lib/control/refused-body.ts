// A refused, unread body (413) ends its connection, lingering: closing a socket with unread data
// resets it at once, and a client still sending would meet the reset before reading the answer.
// So nothing more is read, our FIN follows the answer, and it closes when the client does.
import type { ServerResponse } from 'node:http';

/** How long a refused client has to read the answer before its connection is closed. */
const LINGER_MS = 500;

/** Call before writing the answer (with `Connection: close`) to a request whose body is left unread. */
export function lingerAfterAnswer(response: ServerResponse): void {
  const socket = response.socket;
  if (socket === null) return;
  let lingering = false;
  // Node closes a `Connection: close` answer's socket with destroySoon(): that would reset now.
  socket.destroySoon = (): void => {
    if (lingering) return;
    lingering = true;
    socket.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
