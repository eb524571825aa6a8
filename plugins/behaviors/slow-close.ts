// Toxiproxy's `slow_close`: data passes; the end of its stream (the FIN) is passed on `delay` ms
// late, that is, the operator completes late. Taken out, it completes at once.
import { concatWith, defer, EMPTY, finalize, identity, ignoreElements, takeUntil, timer } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { actsOn, MAX_TIMER_MS, streamOption } from './toxic-stream.js';

export type SlowCloseOptions = { delay: number; stream: string };

export const slowClose = defineBehavior<SlowCloseOptions>({
  name: 'slow_close',
  description: 'Toxiproxy slow_close: passes the close on delay ms late',
  scope: 'stream',
  options: {
    delay: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Delay of the close, in milliseconds' },
    stream: streamOption,
  },
  operator({ direction, options, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    return (source) =>
      defer(() => {
        let out = false;
        const watch = takenOut.subscribe(() => (out = true));
        const late = defer(() => (out ? EMPTY : timer(options.delay).pipe(takeUntil(takenOut), ignoreElements())));
        return source.pipe(
          concatWith(late),
          finalize(() => watch.unsubscribe()),
        );
      });
  },
});
