// `GET /events` of the control API and of `vaurien server`: a fault feed's records as
// Server-Sent Events. The feed is listened to only while the stream has a subscriber, so nobody
// watching costs the proxies nothing.
import type { FaultFeed } from '../faults/fault-feed.js';
import { faultLine } from '../faults/fault-record.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';

export function faultEvents(feed: FaultFeed, options: EventStreamOptions | undefined): EventStream {
  const events = new EventStream(options);
  let unsubscribe: (() => void) | undefined;
  events.whenActive((active) => {
    unsubscribe?.();
    unsubscribe = active ? feed.subscribe((record) => events.publish(faultLine(record))) : undefined;
  });
  return events;
}
