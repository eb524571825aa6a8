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
    // Only the first message waits: Vaurien delays an exchange once, not each of its packets.
    return concatMap((message) => (message.first ? timer(waitMs).pipe(map(() => message)) : of(message)));
  },
});
