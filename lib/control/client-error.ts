// Answers what never reaches a route - bytes Node's HTTP parser refuses (not HTTP, headers too
// large, headers or body too slow) and CONNECT - in the API's own JSON error shape, then closes
// the connection: whatever a client sends, every answer it gets is the same kind.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's parser error codes → status, reason phrase, what the client is told. */
const ANSWERS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'request line and headers over 16 KiB'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request was not sent in time'],
};
const MALFORMED: readonly [number, string, string] = [400, 'Bad Request', 'malformed HTTP request'];

/** The `clientError` listener of the API's server (it replaces Node's plain-text answers). */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // An answer already under way on this connection must not be corrupted by a second one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && inFlight?.headersSent !== true) {
    writeError(socket, ...(ANSWERS[error.code ?? ''] ?? MALFORMED));
  }
  socket.destroy();
}

/** The `connect` listener: the API is no proxy (without it, Node drops the connection unanswered). */
export function refuseConnect(_request: IncomingMessage, socket: Duplex): void {
  if (socket.writable) writeError(socket, 405, 'Method Not Allowed', 'CONNECT is not served here');
  socket.destroy();
}

function writeError(socket: Duplex, status: number, reason: string, description: string): void {
  const body = `${JSON.stringify({ status: 'error', errors: [{ location: 'request', name: 'request', description }] }, null, 2)}\n`;
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
