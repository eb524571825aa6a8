// A state as a live stream (the dashboard's): the current state as one event, sent again only
// when something in it changed, checked once a second while someone subscribes: an idle proxy
// watched by a dashboard sends nothing (measured in bench/RESULTS.md).
import { EventStream, type EventStreamOptions } from './event-stream.js';

const CHECK_EVERY_MS = 1000;

/** What a second changes by itself (uptime, the time a timed setting or toxic has left) is no change. */
const TICKING = /"(uptimeSeconds|remaining)":[0-9.e+-]+/g;

export interface LiveSnapshots {
  readonly stream: EventStream;
  /** The state now, as the stream sends it (a new subscriber's first event). */
  current(): Promise<string>;
  close(): void;
}

/** @param current the state as one line of JSON */
export function liveSnapshots(current: () => Promise<string>, options: EventStreamOptions = {}): LiveSnapshots {
  const stream = new EventStream({ ...options, replay: 0 });
  let last = '';
  let checking: NodeJS.Timeout | undefined;
  const keyOf = (state: string): string => state.replace(TICKING, '');
  const check = async (): Promise<void> => {
    const state = await current();
    const key = keyOf(state);
    if (key === last) return;
    last = key;
    stream.publish(state);
  };
  stream.whenActive((active) => {
    clearInterval(checking);
    checking = active ? setInterval(() => void check().catch(() => {}), CHECK_EVERY_MS) : undefined;
    // The first subscriber was sent the state as its initial event: the next check compares with it.
    if (active) void current().then((state) => (last = keyOf(state)), () => {});
  });
  return { stream, current, close: () => stream.close() };
}
