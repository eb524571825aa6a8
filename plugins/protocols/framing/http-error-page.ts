// The proxy's own HTTP answers (the `error` behavior's 50x, the 502 of an unreachable backend):
// complete HTTP/1.1 responses with a small HTML page, sized by Content-Length, that close the
// connection, so a client reads a real server error and never waits for more.

/** Status text and a one-sentence description, like the pages the original Vaurien sent. */
const PAGES = {
  501: ['Not Implemented', 'The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server, while acting as a gateway or proxy, received an invalid response from the upstream server.'],
  503: ['Service Unavailable', 'The server is currently unable to handle the request due to a temporary overload or maintenance.'],
} as const;

export type ErrorStatus = keyof typeof PAGES;

export const ERROR_STATUSES: readonly ErrorStatus[] = [501, 502, 503];

/** The full response. A HEAD request gets the same head and no body (RFC 9110 §9.3.2). */
export function httpErrorPage(status: ErrorStatus, forHead = false): Buffer {
  const [reason, description] = PAGES[status];
  const html =
    `<!DOCTYPE html>\n<html>\n<head>\n<title>${status} ${reason}</title>\n</head>\n` +
    `<body>\n<h1>${status} ${reason}</h1>\n<p>${description}</p>\n</body>\n</html>\n`;
  const body = Buffer.from(html, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: text/html; charset=UTF-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: close\r\n\r\n';
  return forHead ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
