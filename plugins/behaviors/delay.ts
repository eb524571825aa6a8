// Holds an exchange for `sleep` seconds before its request goes out (before=true) or before
// its answer comes back (before=false). Bytes are never changed.
import { concatMap, identity, map, of, timer } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { MAX_TIMER_SECONDS } from '../../lib/contract/options.js';

export type DelayOptions = { sleep: number; before: boolean };

export const delay = defineBehavior<DelayOptions>({
  name: 'delay',
  description: 'Adds a delay before or after the backend is called',
  options: {
    sleep: { type: 'float', default: 1, description: 'Delay in seconds', max: MAX_TIMER_SECONDS },
    before: { type: 'bool', default: true, description: 'Delay the request (true) or the response (false)' },
  },
  operator({ direction, opener, options }) {
    // A greeting (the server spoke first) has no request to hold: its answer waits instead.
    const heldSide = opener === 'response' ? 'response' : options.before ? 'request' : 'response';
    if (direction !== heldSide) return identity;
    const waitMs = options.sleep * 1000;
    // The side waits once, before its first message (Vaurien delays an exchange, not each of its
    // packets); the messages behind it queue meanwhile and follow at once.
    return concatMap((message, index) => (index === 0 ? timer(waitMs).pipe(map(() => message)) : of(message)));
  },
});
