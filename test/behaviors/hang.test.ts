// hang's operator in virtual time: the side is read and dropped, and the operator never
// completes, so its direction stays held.
import { test } from 'node:test';
import { hang } from '../../plugins/behaviors/hang.js';
import { redis } from '../../plugins/protocols/redis.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('hang forwards nothing and never completes, even after the side ended', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, hang, redis, { direction: 'request' });
  scheduler.run(({ hot, expectObservable }) => {
    const side = hot('-a-b|', sideMessages('request', 'ab'));
    expectObservable(side.pipe(hang.operator(context)), '^ 1000ms !').toBe('');
  });
});

test('the response side of a hung exchange hangs too (a greeting the server sent first never arrives)', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, hang, redis, { direction: 'response', opener: 'response' });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('g|', sideMessages('response', 'g')).pipe(hang.operator(context)), '^ 1000ms !').toBe('');
  });
});
