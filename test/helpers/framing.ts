// Runs a protocol's framer outside a connection: split the input at `cuts`, push the chunks,
// end, and collect the messages. The context numbers exchanges like a connection's ledger.
import type { Direction, Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext, FramerPair, ProtocolDefinition } from '../../lib/contract/protocol.js';
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
  /** Exchanges opened so far (a test may move it on). */
  opened: number;
}

export function testFramerContext(forwarded: ForwardedRequest[] = [], log: Logger = silentLogger): TestFramerContext {
  const context: TestFramerContext = {
    forwarded,
    opened: 0,
    openExchange: () => ++context.opened,
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return context.opened;
    },
    log,
  };
  return context;
}

/** Frames `input` split at `cuts` with a fresh pair of framers of `protocol`, on `direction`'s side. */
export function frameAll(
  protocol: ProtocolDefinition,
  direction: Direction,
  input: Buffer,
  cuts: readonly number[],
  options: OptionValues,
  context: FramerContext = testFramerContext(),
): Message[] {
  const framer = protocol.createFramers(options, context)[direction];
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

/** One connection driven by hand: its context (numbering, pairing, warnings) and, once made, its framers. */
export interface FramingHarness {
  /** Requests "forwarded", for the response framer to pair with. */
  readonly forwarded: ForwardedRequest[];
  readonly context: TestFramerContext;
  /** Warnings logged so far, by either framer. */
  readonly warnings: string[];
  framers?: FramerPair;
}

export function framingHarness(): FramingHarness {
  const warnings: string[] = [];
  const forwarded: ForwardedRequest[] = [];
  const log: Logger = { ...silentLogger, warning: (line) => warnings.push(line) };
  return { forwarded, warnings, context: testFramerContext(forwarded, log) };
}

/** The harness's framers, made on first use with `options`. */
export function harnessFramers(protocol: ProtocolDefinition, h: FramingHarness, options: OptionValues): FramerPair {
  return (h.framers ??= protocol.createFramers(options, h.context));
}

/** Frames `chunks` with the harness connection's framer for `direction`. */
export function frameChunks(protocol: ProtocolDefinition, h: FramingHarness, direction: Direction, chunks: readonly Buffer[], options: OptionValues): Framed {
  const warnedBefore = h.warnings.length;
  const framer = harnessFramers(protocol, h, options)[direction];
  const messages: Message[] = [];
  for (const chunk of chunks) messages.push(...framer.push(chunk));
  messages.push(...framer.end());
  return { messages, warnings: h.warnings.slice(warnedBefore) };
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
): { request: Framed; response: Framed } {
  const h = framingHarness();
  const request = frameChunks(protocol, h, 'request', requests, options);
  for (const message of request.messages) {
    if (message.first && message.exchange !== 0 && message.noReply !== true) h.forwarded.push({ exchange: message.exchange, info: message.info });
  }
  return { request, response: frameChunks(protocol, h, 'response', responses, options) };
}
