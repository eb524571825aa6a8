// Answers with the protocol's own error instead of forwarding (a 50x, -ERR, SERVER_ERROR…),
// after `warmup` exchanges. With `inject`, the request goes through and random bytes are put
// inside the reply instead (protocols without a `corrupt`, like http, answer an error).
import { identity, map, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { defineBehavior, type BehaviorContext } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';

export type ErrorOptions = { inject: boolean; warmup: number };

export const errorOptions = {
  inject: { type: 'bool', default: false, description: 'Inject errors inside valid data' },
  warmup: { type: 'int', default: 0, description: 'Number of calls before erroring out' },
} as const;

/** The error operator, shared with `transient`. */
export function errorOperator(context: BehaviorContext<ErrorOptions>): MonoTypeOperatorFunction<Message> {
  const { direction, opener, options, protocol, connection, rng, exchangesSoFar, discard } = context;
  if (exchangesSoFar < options.warmup) return identity;
  const corrupt = protocol.corrupt;
  if (options.inject && corrupt !== undefined) {
    return direction === 'response' ? map((message, index) => (index === 0 ? corrupt(message, rng) : message)) : identity;
  }
  // The side that carries the exchange's opening is the one answered: the request, or the
  // greeting of a server that speaks first (answered by the protocol's greeting error).
  if (direction !== opener) return identity;
  let request: Message | undefined;
  let answered = false;
  return (source) =>
    source.pipe(
      tap((message) => {
        request ??= message;
        // Answer once the request is read, or at once when the client waits for it (100-continue).
        if (!answered && (message.last || request.info?.['awaitsAnswer'] === true)) {
          answered = true;
          const reply = protocol.errorReply(opener === 'request' ? request : undefined, rng);
          connection.reply(reply.bytes, { close: reply.close });
        }
      }),
      // Nothing of the request is forwarded: dropped as it comes, however big it is.
      discard,
    );
}

export const error = defineBehavior<ErrorOptions>({
  name: 'error',
  description: 'Reads the packets that have been sent then sends back errors',
  options: errorOptions,
  operator: errorOperator,
});
