// The client → backend side of HTTP/1.1: each request opens an exchange; its head carries
// `{ method, target }`, its body (Content-Length or chunked) follows in slices. Keep-alive and
// pipelining are just one request after another. After an Upgrade or CONNECT request, bytes
// are HTTP again only once its answer was not a switch; until then they pass through raw.
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { chunkedBody, lengthBody, type BodyReader } from './http-body.js';
import { contentLengthOf, parseRequestHead, type RequestHead } from './http-head.js';
import { createHttpMessageFramer } from './http-message-framer.js';
import type { HttpUpgradeState } from './http-upgrade-state.js';

export function createHttpRequestFramer(maxBodyBytes: number, context: FramerContext, state: HttpUpgradeState): Framer {
  /** The exchange of an Upgrade/CONNECT request whose answer has not been seen yet. */
  let awaitingAnswer = 0;
  return createHttpMessageFramer(
    {
      direction: 'request',
      head(bytes) {
        const head = parseRequestHead(bytes);
        if (typeof head === 'string') return head;
        const body = requestBody(head);
        if (typeof body === 'string') return body;
        const exchange = context.openExchange();
        if (head.method === 'CONNECT' || head.hasUpgrade) {
          awaitingAnswer = exchange;
          state.switchAsked = true;
        }
        // `awaitsAnswer`: a behavior answering instead of the backend must not wait for the body.
        const info = head.expectsContinue ? { method: head.method, target: head.target, awaitsAnswer: true } : { method: head.method, target: head.target };
        return { exchange, first: true, last: true, info, body, thenRaw: false };
      },
      rawFromHere() {
        if (state.switched) return true;
        if (awaitingAnswer === 0) return false;
        if (state.finalAnswered >= awaitingAnswer) {
          awaitingAnswer = 0; // answered without switching: still HTTP
          return false;
        }
        // Bytes sent before the answer to an Upgrade: they may already be the new protocol.
        // Passing them raw is always byte-exact; only behaviors stop applying.
        context.log.debug('http request: bytes before the answer to an Upgrade/CONNECT; passing the rest through unframed');
        return true;
      },
    },
    maxBodyBytes,
    context.log,
  );
}

/** RFC 9112 §6.3 for requests: chunked, else Content-Length, else no body. */
function requestBody(head: RequestHead): BodyReader | undefined | string {
  if (head.method === 'CONNECT') return undefined; // a CONNECT request has no content
  const codings = head.transferEncoding;
  if (codings.length > 0) {
    if (codings[codings.length - 1] === 'chunked') return chunkedBody();
    return `Transfer-Encoding "${codings.join(', ')}" does not end with chunked`;
  }
  const length = contentLengthOf(head);
  if (typeof length === 'string') return length;
  return length === undefined || length === 0 ? undefined : lengthBody(length);
}
