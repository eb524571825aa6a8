// Toxiproxy's `timeout`: nothing on its stream passes; the connection is closed after `timeout`
// ms (0: never). As in Toxiproxy, the end of the stream closes it at once, and so does taking the
// toxic out (its data was dropped: the peers would wait forever otherwise).
import { identity, Observable, Subscription, timer } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';
import { actsOn, MAX_TIMER_MS, streamOption } from './toxic-stream.js';

export type TimeoutOptions = { timeout: number; stream: string };

export const timeout = defineBehavior<TimeoutOptions>({
  name: 'timeout',
  description: 'Toxiproxy timeout: drops the data, closes the connection after timeout ms (0: never)',
  scope: 'stream',
  options: {
    timeout: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Milliseconds before the connection is closed (0: never)' },
    stream: streamOption,
  },
  operator({ direction, options, connection, discard, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    return (source) =>
      new Observable<Message>((subscriber) => {
        const subscription = new Subscription();
        const close = (): void => {
          if (subscriber.closed) return;
          connection.closeBoth();
          subscriber.complete();
        };
        subscription.add(source.pipe(discard).subscribe({ error: (error: unknown) => subscriber.error(error), complete: close }));
        if (options.timeout > 0) subscription.add(timer(options.timeout).subscribe(close));
        subscription.add(takenOut.subscribe(close));
        return subscription;
      });
  },
});
