// Errors for the first `agitate` exchanges it is picked for (per proxy), then behaves like
// dummy: for checking that a client recovers. Takes `error`'s options too.
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { errorOperator, errorOptions, type ErrorOptions } from './error.js';

export type TransientOptions = ErrorOptions & { agitate: number };

export const transient = defineBehavior<TransientOptions>({
  name: 'transient',
  description: 'Errors for the first `agitate` calls, then behaves like dummy',
  options: {
    agitate: { type: 'int', default: 1, description: 'Number of calls to agitate before succeeding' },
    ...errorOptions,
  },
  operator: (context) => (context.exchangesSoFar < context.options.agitate ? errorOperator(context) : identity),
});
