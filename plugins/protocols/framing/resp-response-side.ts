// The response half of the redis framer: pairs each reply with the oldest forwarded command.
// Pushes are nobody's answer and go as exchange 0: RESP3 `>` frames, and in RESP2, while
// subscribed, arrays shaped like pub/sub messages. An (un)subscribe with k channels is answered
// by k confirmations (one per channel, as redis sends them): one exchange, `last` on the k-th;
// an unsubscribe without channels gets one per current subscription of its kind (at least one).
// A confirmation no request waits for (SUBSCRIBE inside MULTI) is exchange 0.
import type { ForwardedRequest, FramerContext } from '../../../lib/contract/protocol.js';
import { OUTSIDE, type RespSide, type Stamp } from './resp-framer.js';
import { confirmedCommand, isMessageShape, Subscriptions } from './resp-pubsub.js';
import { RespType, type RespScanner } from './resp-scanner.js';

/** An (un)subscribe request being answered by its confirmations. */
interface Answering {
  readonly exchange: number;
  readonly command: string;
  remaining: number;
}

export function createRespResponseSide(context: FramerContext): RespSide {
  const subscriptions = new Subscriptions();
  let resp3 = false;
  /** Taken from the ledger to look at, not answered yet (a push came instead). */
  let peeked: ForwardedRequest | undefined;
  let answering: Answering | undefined;
  // What the value being framed turned out to be: the request it answers, and the
  // (un)subscribe command it confirms if it is a confirmation (two variables, not an object
  // per reply).
  let currentRequest: ForwardedRequest | undefined;
  let currentConfirms: string | undefined;

  // One stamp refilled for each reply, not an object per reply: the framer is done with a
  // reply's stamp before it asks for the next one.
  const stamp: { exchange: number; first: boolean; closes: number | undefined } = { exchange: 0, first: true, closes: undefined };
  /** The stamp of a value answering `exchange` (0: nobody's), closing first the exchange `closes` left open. */
  const stampOf = (exchange: number, closes: number | undefined, first = true): Stamp => {
    if (exchange === 0 && closes === undefined) return OUTSIDE;
    stamp.exchange = exchange;
    stamp.first = first;
    stamp.closes = closes;
    return stamp;
  };
  const peek = (): ForwardedRequest | undefined => (peeked ??= context.nextForwarded());
  const take = (): ForwardedRequest | undefined => {
    const request = peek();
    peeked = undefined;
    return request;
  };

  function decide(scanner: RespScanner, forced: boolean): Stamp | undefined {
    const type = scanner.topType;
    if (type === 0 && !forced) return undefined; // attributes still coming
    if (answering === undefined && type !== RespType.array && type !== RespType.push) {
      // Not an array: neither a confirmation nor a push, so the answer to the oldest request.
      currentConfirms = undefined;
      const request = take();
      currentRequest = request;
      return stampOf(request?.exchange ?? 0, undefined);
    }
    const length = scanner.topLength;
    const known = scanner.knownElements;
    const aggregate = type === RespType.array || type === RespType.push;
    if (aggregate && length > 0 && known < 1 && !forced) return undefined;
    const headType = scanner.elementTypes[0];
    const kind = aggregate && known > 0 && (headType === RespType.bulk || headType === RespType.simple) ? scanner.elementTexts[0] : undefined;
    let confirms = length === 3 ? confirmedCommand(kind) : undefined;
    if (confirms !== undefined && known < 3 && !forced) return undefined; // a confirmation ends with its count
    if (known < 3 || scanner.elementTypes[2] !== RespType.integer) confirms = undefined;
    currentRequest = undefined;
    currentConfirms = confirms;

    if (confirms !== undefined && answering?.command === confirms) return stampOf(answering.exchange, undefined, false);
    // Anything else ends an answer still open (fewer confirmations came than expected).
    const closes = answering?.exchange;
    answering = undefined;

    if (confirms !== undefined) {
      const request = peek();
      // A confirmation nobody is waiting for (e.g. the second one of a SUBSCRIBE inside MULTI).
      if (request?.info?.['command'] !== confirms) return stampOf(0, closes);
      take();
      currentRequest = request;
      const channels = request.info['channels'];
      answering = { exchange: request.exchange, command: confirms, remaining: subscriptions.expectedReplies(confirms, typeof channels === 'number' ? channels : 0) };
      return stampOf(request.exchange, closes);
    }
    if (type === RespType.push) return stampOf(0, closes);
    if (type === RespType.array && !resp3 && subscriptions.active && isMessageShape(kind, length)) return stampOf(0, closes);
    const request = take();
    currentRequest = request;
    return stampOf(request?.exchange ?? 0, closes);
  }

  function complete(scanner: RespScanner, stamp: Stamp): boolean {
    const request = currentRequest;
    const confirms = currentConfirms;
    currentRequest = undefined;
    currentConfirms = undefined;
    if (confirms !== undefined) subscriptions.confirm(confirms, Number(scanner.elementTexts[2]));
    const command = request?.info?.['command'];
    const type = scanner.topType;
    // HELLO answers with a map in RESP3 and an array in RESP2; an error changes nothing.
    if (command === 'HELLO' && (type === RespType.map || type === RespType.array)) resp3 = type === RespType.map;
    if (command === 'RESET' && type === RespType.simple) {
      subscriptions.reset();
      resp3 = false;
    }
    if (answering !== undefined && stamp.exchange === answering.exchange) {
      if (--answering.remaining > 0) return false;
      answering = undefined;
    }
    return true;
  }

  function settle(inProgress: Stamp | undefined): Stamp[] {
    const open: Stamp[] = [];
    if (answering !== undefined && answering.exchange !== inProgress?.exchange) open.push({ exchange: answering.exchange, first: false });
    answering = undefined;
    for (let request = take(); request !== undefined; request = take()) open.push({ exchange: request.exchange, first: true });
    return open;
  }

  // A pub/sub confirmation is told by its first three elements: kind, channel, count.
  return { notedElements: 3, decide, complete, settle };
}
