// transient's operator in virtual time: `error` for the first `agitate` exchanges it is drawn
// for (per proxy), then dummy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { transient } from '../../plugins/behaviors/transient.js';
import { redis } from '../../plugins/protocols/redis.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('transient answers an error for its first `agitate` exchanges, then lets them through', () => {
  const outcomes: string[] = [];
  for (const exchangesSoFar of [0, 1, 2, 3]) {
    const scheduler = marbleScheduler();
    const { context, calls } = marbleContext(scheduler, transient, redis, { direction: 'request', options: { agitate: 2 }, exchangesSoFar });
    const operator = transient.operator(context);
    if (operator === identity) {
      outcomes.push('through');
      continue;
    }
    scheduler.run(({ hot, expectObservable, flush }) => {
      expectObservable(hot('-a|', sideMessages('request', 'a')).pipe(operator)).toBe('--|');
      flush();
    });
    outcomes.push(calls.map((call) => call.call).join());
  }
  assert.deepEqual(outcomes, ['reply', 'reply', 'through', 'through']);
});
