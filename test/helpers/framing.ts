// Runs a protocol's framer outside a connection: split the input at `cuts`, push the chunks,
// end, and collect the messages. The context numbers exchanges like a connection's ledger.
import type { Direction, Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext, ProtocolDefinition } from '../../lib/contract/protocol.js';
import type { OptionValues } from '../../lib/contract/options.js';
import { silentLogger, type Logger } from '../../lib/log.js';

/**
 * Splits `input` at the given offsets (taken modulo its length, sorted, deduplicated). Each
 * chunk is a copy, its own buffer, as chunks from a socket are.
 */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  if (input.length === 0) return [];
  const offsets = [...new Set(cuts.map((cut) => cut % input.length))].filter((cut) => cut > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of [...offsets, input.length]) {
    chunks.push(Buffer.from(input.subarray(start, offset)));
    start = offset;
  }
  return chunks;
}

export interface TestFramerContext extends FramerContext {
  /** Requests the response framer will pair with, as a connection would after forwarding them. */
  readonly forwarded: ForwardedRequest[];
}

export function testFramerContext(forwarded: ForwardedRequest[] = []): TestFramerContext {
  let latest = 0;
  return {
    forwarded,
    openExchange: () => ++latest,
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return latest;
    },
    log: silentLogger,
  };
}

/** Frames `input` split at `cuts` with a fresh framer of `protocol`. */
export function frameAll(
  protocol: ProtocolDefinition,
  direction: Direction,
  input: Buffer,
  cuts: readonly number[],
  options: OptionValues,
  context: FramerContext = testFramerContext(),
  shared: Record<string, unknown> = {},
): Message[] {
  const framer = protocol.createFramer(direction, options, context, shared);
  const messages: Message[] = [];
  for (const chunk of splitAt(input, cuts)) messages.push(...framer.push(chunk));
  messages.push(...framer.end());
  return messages;
}

/** What framing a stream gave: the messages, and the warnings the framer logged. */
export interface Framed {
  readonly messages: Message[];
  readonly warnings: string[];
}

/** One connection's shared state for driving its two framers by hand. */
export interface FramingHarness {
  readonly shared: Record<string, unknown>;
  /** Requests "forwarded", for the response framer to pair with. */
  readonly forwarded: ForwardedRequest[];
  opened: number;
  /** The connection's answer to `isPassThrough` (absent: the framers are not told, as with a bare framer). */
  readonly passThrough?: ((exchange: number) => boolean) | undefined;
}

export function framingHarness(passThrough?: (exchange: number) => boolean): FramingHarness {
  return { shared: {}, forwarded: [], opened: 0, passThrough };
}

/** Frames `chunks` with a fresh framer of `protocol` for `direction`, on the harness's connection. */
export function frameChunks(protocol: ProtocolDefinition, h: FramingHarness, direction: Direction, chunks: readonly Buffer[], options: OptionValues): Framed {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warning: (line) => warnings.push(line) };
  const context: FramerContext = {
    openExchange: () => ++h.opened,
    nextForwarded: () => h.forwarded.shift(),
    get latestExchange() {
      return h.opened;
    },
    log,
    ...(h.passThrough === undefined ? {} : { isPassThrough: h.passThrough }),
  };
  const framer = protocol.createFramer(direction, options, context, h.shared);
  const messages: Message[] = [];
  for (const chunk of chunks) messages.push(...framer.push(chunk));
  messages.push(...framer.end());
  return { messages, warnings };
}

/**
 * Frames the requests, "forwards" every request that expects an answer as a connection does,
 * then frames the responses.
 */
export function frameConnection(
  protocol: ProtocolDefinition,
  requests: readonly Buffer[],
  responses: readonly Buffer[],
  options: OptionValues,
  passThrough?: (exchange: number) => boolean,
): { request: Framed; response: Framed } {
  const h = framingHarness(passThrough);
  const request = frameChunks(protocol, h, 'request', requests, options);
  for (const message of request.messages) {
    if (message.first && message.exchange !== 0 && message.noReply !== true) h.forwarded.push({ exchange: message.exchange, info: message.info });
  }
  return { request, response: frameChunks(protocol, h, 'response', responses, options) };
}
