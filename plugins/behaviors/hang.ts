// Reads the request, never forwards it, never answers; the connection stays open (until the
// idle --timeout, unless --stay-connected). Later requests wait behind it, as with a hung server.
import { NEVER, concatWith } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';

export const hang = defineBehavior<Record<string, never>>({
  name: 'hang',
  description: 'Reads the packets that have been sent then hangs, like a server stopped at a breakpoint',
  options: {},
  // The side's messages are dropped as they come (nothing piles up); the operator never
  // completes, which holds this direction: later pipelined requests are not forwarded either.
  operator: ({ discard }) => (source) => source.pipe(discard, concatWith(NEVER)),
});
