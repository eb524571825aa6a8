// Forwards the request, then closes both connections before the response: the backend got
// the call (its side effects happen), the client never gets an answer.
import { EMPTY, concatWith, defer, mergeMap, take } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';

export const abort = defineBehavior<Record<string, never>>({
  name: 'abort',
  description: 'Forwards the request, then closes both connections before the response',
  options: {},
  operator({ direction, connection }) {
    const close = defer(() => {
      connection.closeBoth();
      return EMPTY;
    });
    // The whole request goes on; once it is over, both connections close after it is written.
    if (direction === 'request') return (source) => source.pipe(concatWith(close));
    // Only a greeting (server speaks first) reaches here: cut before it is delivered.
    return (source) => source.pipe(take(1), mergeMap(() => close));
  },
});
