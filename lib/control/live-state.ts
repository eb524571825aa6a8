// `GET /proxy` as a live stream (the dashboard's): the proxy's state and counters as one event,
// sent again only when something in it changed (lib/events/live-snapshots.ts).
import type { EventStreamOptions } from '../events/event-stream.js';
import { liveSnapshots, type LiveSnapshots } from '../events/live-snapshots.js';
import type { BehaviorTimer } from './behavior-timer.js';
import { proxyState, type ControlledProxy } from './routes.js';

export function liveState(proxy: ControlledProxy, timer: BehaviorTimer, options: EventStreamOptions = {}): LiveSnapshots {
  return liveSnapshots(async () => JSON.stringify({ ...proxyState(proxy, timer), stats: await proxy.stats() }), options);
}
