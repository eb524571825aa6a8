// Reads a request body as JSON within bounds: a non-JSON type is refused unread (415), a body
// over the limit is refused declared or as it grows (413: never buffered without bound), and
// JSON nested deeper than MAX_JSON_DEPTH is refused (400) before it is parsed.
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './api-errors.js';
import { nestsDeeperThan } from './json-depth.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** SPEC 18: the deepest nesting a body may have (the body's own object or array is level 1). */
export const MAX_JSON_DEPTH = 32;

export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(413, [{ location: 'body', name: 'body', description: `request body over ${limitBytes} bytes` }]);
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Checks what the headers say of the body, before any of it is read (and before a client that
 * asked `Expect: 100-continue` is told to send it): a body must be JSON (415; an HTML form or a
 * "simple" cross-site fetch can send no other type without a CORS preflight) and fit (413).
 */
export function checkBodyHeaders(request: IncomingMessage, limitBytes = BODY_LIMIT_BYTES): void {
  const declared = Number(request.headers['content-length'] ?? 0);
  const hasBody = request.headers['transfer-encoding'] !== undefined || declared > 0;
  const type = request.headers['content-type'];
  if (hasBody && !JSON_MEDIA_TYPE.test(type ?? '')) {
    const given = type === undefined ? 'none' : `"${type.length > 100 ? `${type.slice(0, 100)}…` : type}"`;
    throw new ApiError(415, [{ location: 'header', name: 'Content-Type', description: `expected application/json, got ${given}` }]);
  }
  if (declared > limitBytes) throw tooLarge(limitBytes);
}

/** The parsed JSON body (undefined when empty); throws ApiError 400 or 413. */
export async function readJsonBody(request: IncomingMessage, limitBytes = BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const parts: Buffer[] = [];
  let total = 0;
  // Not destroyed on an early exit: the socket must live to carry the 413 answer.
  for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limitBytes) throw tooLarge(limitBytes); // leaving the loop stops reading
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') return undefined;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw badRequest('body', 'body', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes the body ("Bearer s3cr"... is not valid JSON): only the position is
    // given back, so nothing a client sent (a token pasted by mistake) is echoed or logged.
    const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw badRequest('body', 'body', position === undefined ? 'invalid JSON' : `invalid JSON at character ${position}`);
  }
}
