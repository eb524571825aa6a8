// Pub/sub bookkeeping for one redis connection: which replies are (un)subscribe confirmations,
// which are messages, and how many confirmations an (un)subscribe request gets. Counts follow
// the numbers redis puts in its confirmations (channels + patterns; shard channels apart).

/** The six (un)subscribe commands; their requests carry `channels` (arguments after the name) in their info. */
export const PUBSUB_COMMANDS: ReadonlySet<string> = new Set(['SUBSCRIBE', 'UNSUBSCRIBE', 'PSUBSCRIBE', 'PUNSUBSCRIBE', 'SSUBSCRIBE', 'SUNSUBSCRIBE']);

/** The first element of a confirmation, as redis sends it, mapped to the command it confirms. */
const CONFIRMED_COMMAND: ReadonlyMap<string, string> = new Map([...PUBSUB_COMMANDS].map((command) => [command.toLowerCase(), command]));

/** The first element of a pub/sub message, with the element count of that message. */
const MESSAGE_LENGTH: ReadonlyMap<string, number> = new Map([
  ['message', 3],
  ['pmessage', 4],
  ['smessage', 3],
]);

/** The command a confirmation kind (`subscribe`, `punsubscribe`…) answers, if it is one. */
export function confirmedCommand(kind: string | undefined): string | undefined {
  return kind === undefined ? undefined : CONFIRMED_COMMAND.get(kind.toLowerCase());
}

/** Whether an array of `length` elements starting with `kind` has the shape of a pub/sub message. */
export function isMessageShape(kind: string | undefined, length: number): boolean {
  return kind !== undefined && MESSAGE_LENGTH.get(kind.toLowerCase()) === length;
}

export class Subscriptions {
  private channels = 0;
  private patterns = 0;
  private shards = 0;

  /** Subscribed to anything: in RESP2, arrays may then be messages nobody asked for. */
  get active(): boolean {
    return this.channels + this.patterns + this.shards > 0;
  }

  /** A confirmation of `command` said the client now has `count` subscriptions of that family. */
  confirm(command: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) return;
    if (command === 'SUBSCRIBE' || command === 'UNSUBSCRIBE') this.channels = Math.max(0, count - this.patterns);
    else if (command === 'PSUBSCRIBE' || command === 'PUNSUBSCRIBE') this.patterns = Math.max(0, count - this.channels);
    else this.shards = count;
  }

  /**
   * How many confirmations a `command` with `channels` arguments gets: one per argument, and
   * without arguments an unsubscribe confirms each current subscription (at least one reply).
   */
  expectedReplies(command: string, channels: number): number {
    if (channels > 0) return channels;
    if (command === 'UNSUBSCRIBE') return Math.max(1, this.channels);
    if (command === 'PUNSUBSCRIBE') return Math.max(1, this.patterns);
    if (command === 'SUNSUBSCRIBE') return Math.max(1, this.shards);
    return 1;
  }

  /** RESET ends every subscription. */
  reset(): void {
    this.channels = this.patterns = this.shards = 0;
  }
}
