// Tells which request a memcached answer belongs to, with quiet (q flag) meta commands in the
// stream. Invariant: every forwarded request that expects an answer is closed exactly once, in
// order (by its answer, or by an empty message when an MN proves it was answered already).
//
// How quiet mode is paired, and its limits:
// - A quiet request (`mg k v q`) may get no answer at all (a miss, a stored set). Its messages
//   carry `noReply: true`, so the connection keeps no answer slot for it and never waits for
//   it: a proxy error reply queued after it cannot hang on an answer that never comes. The
//   request framer lists it in the connection's shared state instead.
// - An answer is matched, in order of preference, by: `MN` answers the next `mn` (everything
//   sent before that `mn` is over: requests still open are closed empty, which also puts the
//   pairing back in step after any doubtful match); the `O` (opaque) and `k` (key) flags it
//   echoes; then its status, as memcached 1.6 suppresses it in quiet mode (`mg`: `EN`; `ms`,
//   `md`: `HD`; `ma`: `HD`, `VA`): the oldest quiet request that could have sent it, else the
//   next request that expects an answer.
// - A quiet request's answer is forwarded as exchange 0 (unchanged): behaviors act on quiet
//   requests on their request side only (delay, error, hang, blackout, abort), not on their
//   answers (no `inject`, no delay of the answer).
// - A proxy error reply for a quiet request (or for a later one) may reach the client before
//   the backend's answers to earlier quiet requests: the proxy cannot wait for answers that may
//   never come.
// - Without `O`/`k` flags, an answer that a quiet request and the next non-quiet request (not
//   `mn`) could both give (e.g. `VA` to `mg a v q` then `mg b v`) is taken as the quiet one's,
//   as a client would; a client that mixes them so needs those flags itself. The same holds
//   for a quiet request a behavior kept from the backend (error, hang): the framer cannot know
//   it was not forwarded. Quiet batches closed by `mn` (the usual pattern) are always paired
//   right, and the next `MN` puts any doubtful pairing back in step.
import type { ForwardedRequest, FramerContext } from '../../../lib/contract/protocol.js';
import { tokensOf, type QuietRequest } from './memcache-commands.js';

/** One object per connection, shared by both directions' framers (made by createFramers). */
export interface MemcacheShared {
  /** The client spoke the binary protocol (first byte 0x80): both directions pass raw. */
  binary: boolean;
  /** Quiet meta requests framed and not yet settled, oldest first. */
  readonly quiet: QuietRequest[];
}

/** Quiet requests remembered at most: a client sending only quiet requests forever stays bounded. */
const MAX_QUIET_REQUESTS = 4096;

export function newMemcacheShared(): MemcacheShared {
  return { binary: false, quiet: [] };
}

export function rememberQuiet(state: MemcacheShared, request: QuietRequest): void {
  if (state.quiet.length >= MAX_QUIET_REQUESTS) state.quiet.shift();
  state.quiet.push(request);
}

export class ResponsePairing {
  /** The exchange the last answer found belongs to (0: a quiet request's, or unasked). */
  exchange = 0;
  /** The command that answer answers, when known. */
  command: string | undefined;
  /** Forwarded requests expecting an answer, taken from the connection but not yet answered, oldest first. */
  private readonly ahead: ForwardedRequest[] = [];

  constructor(
    private readonly context: FramerContext,
    private readonly state: MemcacheShared,
  ) {}

  /**
   * Finds the request answered by the answer that starts with the line `holder[start, end)`
   * (status `head`); sets `exchange` and `command`. Requests an `MN` proves were already
   * answered are appended to `closed`: each needs an empty closing message first.
   */
  match(holder: Buffer, start: number, end: number, head: string, closed: number[]): void {
    if (this.ahead.length === 0) this.pull();
    if (head === 'MN' && this.matchNoop(closed)) return;
    const pending = this.ahead[0];
    const quiet = this.state.quiet;
    const before = pending === undefined ? quiet.length : this.countBefore(pending.exchange);
    if (before === 0) return this.takePending();
    const index = this.matchQuiet(holder.subarray(start, end), head, before);
    if (index === -1 && pending !== undefined) {
      quiet.splice(0, before); // sent before the answered request: they stayed silent
      return this.takePending();
    }
    const answered = quiet[Math.max(index, 0)] as QuietRequest;
    quiet.splice(0, Math.max(index, 0) + 1);
    this.exchange = 0;
    this.command = answered.command;
  }

  private pull(): ForwardedRequest | undefined {
    const next = this.context.nextForwarded();
    if (next !== undefined) this.ahead.push(next);
    return next;
  }

  private takePending(): void {
    const pending = this.ahead.shift();
    this.exchange = pending?.exchange ?? 0;
    this.command = pending?.info?.['command'] as string | undefined;
  }

  /**
   * `MN` answers an `mn`, and only that: whatever was sent before that `mn` is over. False when
   * no `mn` was forwarded (a backend that is not memcached): then the usual rules apply.
   */
  private matchNoop(closed: number[]): boolean {
    const isNoop = (request: ForwardedRequest): boolean => request.info?.['command'] === 'mn';
    let index = this.ahead.findIndex(isNoop);
    while (index === -1) {
      const next = this.pull();
      if (next === undefined) return false;
      if (isNoop(next)) index = this.ahead.length - 1;
    }
    for (const request of this.ahead.splice(0, index)) closed.push(request.exchange);
    this.state.quiet.splice(0, this.countBefore((this.ahead[0] as ForwardedRequest).exchange));
    this.takePending();
    return true;
  }

  private countBefore(exchange: number): number {
    const quiet = this.state.quiet;
    let count = 0;
    while (count < quiet.length && (quiet[count] as QuietRequest).exchange < exchange) count++;
    return count;
  }

  /** Index of the quiet request (among the first `count`) that sent this answer, or -1. */
  private matchQuiet(line: Buffer, head: string, count: number): number {
    const quiet = this.state.quiet;
    if (head !== 'ERROR' && head !== 'CLIENT_ERROR' && head !== 'SERVER_ERROR') {
      let opaque: string | undefined;
      let key: string | undefined;
      const tokens = tokensOf(line);
      for (let at = head === 'VA' ? 2 : 1; at < tokens.length; at++) {
        const flag = tokens[at] as string;
        if (flag.charCodeAt(0) === 0x4f /* O */) opaque = flag.slice(1);
        else if (flag.charCodeAt(0) === 0x6b /* k */) key = flag.slice(1);
      }
      if (opaque !== undefined || key !== undefined) {
        for (let index = 0; index < count; index++) {
          const request = quiet[index] as QuietRequest;
          if ((opaque === undefined || request.opaque === opaque) && (key === undefined || request.key === key)) return index;
        }
        return -1;
      }
    }
    for (let index = 0; index < count; index++) {
      if (answersQuietly((quiet[index] as QuietRequest).command, head)) return index;
    }
    return -1;
  }
}

/** Whether a quiet `command` can answer `head` (memcached 1.6 suppresses the others). */
function answersQuietly(command: string, head: string): boolean {
  switch (head) {
    case 'ERROR':
    case 'CLIENT_ERROR':
    case 'SERVER_ERROR':
      return true;
    case 'VA':
    case 'HD':
      return command === 'mg'; // a hit; ms/md/ma successes are suppressed
    case 'NS':
      return command === 'ms' || command === 'ma';
    case 'EX':
    case 'NF':
      return command !== 'mg';
    default:
      return false; // EN (a quiet miss is silent), MN, classic answers
  }
}
