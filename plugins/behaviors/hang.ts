// Reads the request, never forwards it, never answers; the connection stays open (until the
// idle --timeout, unless --stay-connected). The stalled side pauses its socket: nothing piles up.
import { EMPTY, NEVER, mergeMap } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';

export const hang = defineBehavior<Record<string, never>>({
  name: 'hang',
  description: 'Reads the packets that have been sent then hangs: nothing is forwarded or answered, the connection stays open',
  options: {},
  // Every message of the exchange is swallowed; the last one never completes, which holds
  // this direction (later pipelined requests are not forwarded either, as with a hung server).
  operator: () => mergeMap((message) => (message.last ? NEVER : EMPTY)),
});
