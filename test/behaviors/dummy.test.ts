// dummy's operator: identity, which the engine recognises and runs no Observable for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { dummy } from '../../plugins/behaviors/dummy.js';
import { redis } from '../../plugins/protocols/redis.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('dummy is identity on both sides: every message passes, unchanged, when it comes', () => {
  for (const direction of ['request', 'response'] as const) {
    const scheduler = marbleScheduler();
    const operator = dummy.operator(marbleContext(scheduler, dummy, redis, { direction }).context);
    assert.equal(operator, identity);
    scheduler.run(({ hot, expectObservable }) => {
      const values = sideMessages(direction, 'abc');
      expectObservable(hot('-a-b-c|', values).pipe(operator)).toBe('-a-b-c|', values);
    });
  }
});
