// Forwards the request, then closes both connections before the response: the backend got
// the call (its side effects happen), the client never gets an answer.
import { EMPTY, concat, concatMap, defer, mergeMap, of } from 'rxjs';
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
    // closeBoth() from inside the run acts after what was emitted before it is flushed.
    if (direction === 'request') return concatMap((message) => (message.last ? concat(of(message), close) : of(message)));
    // Only a greeting (server speaks first) reaches here: cut before it is delivered.
    return mergeMap(() => close);
  },
});
