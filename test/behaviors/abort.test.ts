// abort's operator in virtual time: the request goes through whole, then both connections are
// closed (after what was forwarded is written); a greeting is cut before it is delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abort } from '../../plugins/behaviors/abort.js';
import { smtp } from '../../plugins/protocols/smtp.js';
import { redis } from '../../plugins/protocols/redis.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('abort forwards every message of the request, then closes both connections once it is over', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, abort, redis, { direction: 'request' });
  scheduler.run(({ hot, expectObservable, flush }) => {
    const values = sideMessages('request', 'abc');
    expectObservable(hot('-a-b-c|', values).pipe(abort.operator(context))).toBe('-a-b-c|', values);
    flush();
    assert.deepEqual(calls, [{ at: 6, call: 'closeBoth' }]);
  });
});

test('on a greeting, abort closes both before anything of it is forwarded', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, abort, smtp, { direction: 'response', opener: 'response' });
  scheduler.run(({ hot, expectObservable, flush }) => {
    expectObservable(hot('-g|', sideMessages('response', 'g')).pipe(abort.operator(context))).toBe('-|');
    flush();
    assert.deepEqual(calls, [{ at: 1, call: 'closeBoth' }]);
  });
});
