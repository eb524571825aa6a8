// The backend → client side of HTTP/1.1: each final response answers the oldest forwarded
// request (`nextForwarded`), interim 1xx responses (100 Continue) belong to the same exchange
// without ending it. Which responses have a body depends on the request: HEAD never does.
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { chunkedBody, lengthBody, untilCloseBody, type BodyReader } from './http-body.js';
import { contentLengthOf, parseResponseHead, type ResponseHead } from './http-head.js';
import { createHttpMessageFramer } from './http-message-framer.js';
import type { HttpUpgradeState } from './http-upgrade-state.js';

interface Answering {
  /** 0: the backend spoke unasked; its response passes outside any exchange. */
  readonly exchange: number;
  readonly method: string;
  /** An interim response of this exchange already went by. */
  started: boolean;
}

export function createHttpResponseFramer(maxBodyBytes: number, context: FramerContext, state: HttpUpgradeState): Framer {
  let answering: Answering | undefined;
  return createHttpMessageFramer(
    {
      direction: 'response',
      head(bytes) {
        const head = parseResponseHead(bytes);
        if (typeof head === 'string') return head;
        if (head.status < 100) return `bad status ${head.status}`;
        if (answering === undefined) {
          const forwarded = context.nextForwarded();
          const method = forwarded?.info?.['method'];
          answering = { exchange: forwarded?.exchange ?? 0, method: typeof method === 'string' ? method : '', started: false };
        }
        const { exchange, method } = answering;
        const first = !answering.started;
        answering.started = true;
        const info = { status: head.status };
        if (head.status < 200 && head.status !== 101) return { exchange, first, last: false, info, body: undefined, thenRaw: false };
        answering = undefined;
        if (exchange > state.finalAnswered) state.finalAnswered = exchange;
        if (head.status === 101 || (method === 'CONNECT' && head.status < 300)) {
          state.switched = true;
          return { exchange, first, last: true, info, body: undefined, thenRaw: true };
        }
        const body = responseBody(head, method);
        if (typeof body === 'string') return body;
        return { exchange, first, last: true, info, body, thenRaw: false };
      },
      rawFromHere: () => false,
    },
    maxBodyBytes,
    context.log,
  );
}

/** RFC 9112 §6.3 for responses: no body for HEAD, 204, 304; chunked; Content-Length; else until close. */
function responseBody(head: ResponseHead, method: string): BodyReader | undefined | string {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return undefined;
  const codings = head.transferEncoding;
  if (codings.length > 0) return codings[codings.length - 1] === 'chunked' ? chunkedBody() : untilCloseBody();
  const length = contentLengthOf(head);
  if (typeof length === 'string') return length;
  if (length === undefined) return untilCloseBody();
  return length === 0 ? undefined : lengthBody(length);
}
