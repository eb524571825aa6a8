// Names what a behavior did to an exchange (or a stream behavior to a connection's direction)
// from what the engine saw: the control calls it made and what its operators did. The words come
// in a fixed order, so the same observations always give the same text; `passed` when nothing showed.
import type { SideWatch } from './side-watch.js';
import type { StreamWatch } from './stream-watch.js';

/** The control calls a behavior made for one exchange. */
export interface ControlCalls {
  replied: boolean;
  closedClient: boolean;
  closedBoth: boolean;
  reset: boolean;
}

/** A hold shorter than this is no delay: an operator that emits at once takes microseconds. */
const DELAY_THRESHOLD_MS = 1;

export function describeOutcome(calls: ControlCalls, sides: ReadonlyArray<SideWatch | undefined>): string {
  const words: string[] = [];
  let holdMs = 0;
  let changed = false;
  let dropped = false;
  let hung = false;
  let failed = false;
  for (const side of sides) {
    if (side === undefined) continue;
    holdMs = Math.max(holdMs, side.holdMs);
    changed ||= side.changed;
    dropped ||= side.completed && side.emitted < side.given && !side.changed;
    hung ||= side.cut;
    failed ||= side.failed;
  }
  if (holdMs >= DELAY_THRESHOLD_MS) words.push(`delayed ${Math.round(holdMs)} ms`);
  if (changed) words.push('corrupted');
  if (calls.replied) words.push('error reply');
  // Dropping is what an error reply or a cut does to the request anyway: named only alone.
  if (dropped && !calls.replied && !calls.closedBoth && !calls.closedClient && !calls.reset) words.push('dropped');
  if (calls.closedBoth) words.push('aborted');
  if (calls.closedClient) words.push('closed');
  if (calls.reset) words.push('reset');
  if (hung) words.push('hung');
  if (failed) words.push('failed');
  return words.length === 0 ? 'passed' : words.join(', ');
}

/**
 * What a stream behavior did to its direction: `delayed N ms` (the mean hold of the pieces it
 * passed on whole), `sliced` (more pieces out than in), `dropped N bytes` (given and never passed
 * on), `close delayed N ms` (it completed that late after its source), then the control calls:
 * `error reply`, `closed` (either close: a toxic closes the connection, there is no exchange to
 * abort), `reset`, and `failed`.
 */
export function describeStreamOutcome(calls: ControlCalls, watch: StreamWatch): string {
  const words: string[] = [];
  if (watch.meanHoldMs >= DELAY_THRESHOLD_MS) words.push(`delayed ${Math.round(watch.meanHoldMs)} ms`);
  if (watch.piecesOut > watch.piecesIn) words.push('sliced');
  if (watch.bytesIn > watch.bytesOut) words.push(`dropped ${watch.bytesIn - watch.bytesOut} bytes`);
  if (watch.endHeldMs >= DELAY_THRESHOLD_MS) words.push(`close delayed ${Math.round(watch.endHeldMs)} ms`);
  if (calls.replied) words.push('error reply');
  if (calls.closedBoth || calls.closedClient) words.push('closed');
  if (calls.reset) words.push('reset');
  if (watch.failed) words.push('failed');
  return words.length === 0 ? 'passed' : words.join(', ');
}
