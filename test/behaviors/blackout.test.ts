// blackout's operator in virtual time: the client connection is closed at the side's first
// message and nothing is forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blackout } from '../../plugins/behaviors/blackout.js';
import { redis } from '../../plugins/protocols/redis.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('blackout closes the client at the first message, forwards nothing, and is done', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, blackout, redis, { direction: 'request' });
  scheduler.run(({ hot, expectObservable, flush }) => {
    expectObservable(hot('--a-b|', sideMessages('request', 'ab')).pipe(blackout.operator(context))).toBe('--|');
    flush();
    assert.deepEqual(calls, [{ at: 2, call: 'closeClient' }]);
  });
});
