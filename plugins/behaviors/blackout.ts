// Closes the client connection at once; nothing of the exchange is forwarded.
import { EMPTY, mergeMap, take } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';

export const blackout = defineBehavior<Record<string, never>>({
  name: 'blackout',
  description: 'Closes the client connection at once; nothing is forwarded',
  options: {},
  operator: ({ connection }) => (source) =>
    source.pipe(
      take(1),
      mergeMap(() => {
        connection.closeClient();
        return EMPTY;
      }),
    ),
});
