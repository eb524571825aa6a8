// `GET /proxy` as a live stream (the dashboard's): the proxy's state and counters as one event,
// sent again only when something in it changed, checked once a second while someone subscribes:
// an idle proxy watched by a dashboard sends nothing (measured in bench/RESULTS.md).
import { EventStream, type EventStreamOptions } from '../events/event-stream.js';
import type { BehaviorTimer } from './behavior-timer.js';
import { proxyState, type ControlledProxy, type LiveState } from './routes.js';

const CHECK_EVERY_MS = 1000;

export function liveState(proxy: ControlledProxy, timer: BehaviorTimer, options: EventStreamOptions = {}): LiveState & { close(): void } {
  const stream = new EventStream({ ...options, replay: 0 });
  let last = '';
  let checking: NodeJS.Timeout | undefined;
  const current = async (): Promise<string> => JSON.stringify({ ...proxyState(proxy, timer), stats: await proxy.stats() });
  // What a second changes by itself (uptime, the time a timed setting has left) is no change.
  const keyOf = (state: string): string => state.replace(/"(uptimeSeconds|remaining)":[0-9.e+-]+/g, '');
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
