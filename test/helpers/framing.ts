// Runs a protocol's framer outside a connection: split the input at `cuts`, push the chunks,
// end, and collect the messages. The context numbers exchanges like a connection's ledger.
import type { Direction, Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext, ProtocolDefinition } from '../../lib/contract/protocol.js';
import type { OptionValues } from '../../lib/contract/options.js';
import { silentLogger } from '../../lib/log.js';

/** Splits `input` at the given offsets (taken modulo its length, sorted, deduplicated). */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  if (input.length === 0) return [];
  const offsets = [...new Set(cuts.map((cut) => cut % input.length))].filter((cut) => cut > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const offset of offsets) {
    chunks.push(input.subarray(start, offset));
    start = offset;
  }
  chunks.push(input.subarray(start));
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
