// What travels from the behavior stage to a writer: messages, and markers that keep the
// connection's bookkeeping in order with them (a marker acts only once the messages before it
// have been written).
import type { Message } from '../contract/message.js';

/** This side of `exchange` is over, even if its last message was dropped by a behavior. */
export interface SideDone {
  readonly kind: 'side-done';
  readonly exchange: number;
}

/** Close both connections once the messages before this marker are flushed (`abort`). */
export interface CloseBoth {
  readonly kind: 'close-both';
}

export type Marker = SideDone | CloseBoth;
export type Outgoing = Message | Marker;

export const CLOSE_BOTH: CloseBoth = { kind: 'close-both' };

export function isMarker(item: Outgoing): item is Marker {
  return (item as Marker).kind !== undefined;
}
