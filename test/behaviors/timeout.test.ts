// timeout's operator in virtual time: nothing passes; the connection is closed after `timeout`
// ms (0: never), at the end of the stream, or when the toxic is taken out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeout } from '../../plugins/behaviors/timeout.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('no data passes, and both connections are closed `timeout` ms after it took effect', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, timeout, tcp, { direction: 'response', options: { timeout: 100 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('a 9ms b 200ms |', sideMessages('response', 'ab', 0)).pipe(timeout.operator(context))).toBe('100ms |');
  });
  assert.deepEqual(calls, [{ at: 100, call: 'closeBoth' }]);
});

test('timeout 0 never closes: data is dropped for as long as the stream lasts', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, timeout, tcp, { direction: 'response', options: { timeout: 0 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('a 5000ms b', sideMessages('response', 'ab', 0)).pipe(timeout.operator(context))).toBe('');
  });
  assert.deepEqual(calls, []);
});

test('the end of the stream, or taking the toxic out, closes the connection at once (as Toxiproxy does)', () => {
  const scheduler = marbleScheduler();
  const ended = marbleContext(scheduler, timeout, tcp, { direction: 'response', options: { timeout: 0 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('a 29ms |', sideMessages('response', 'a', 0)).pipe(timeout.operator(ended.context))).toBe('30ms |');
  });
  assert.deepEqual(ended.calls, [{ at: 30, call: 'closeBoth' }]);

  const scheduler2 = marbleScheduler();
  scheduler2.run(({ hot, expectObservable }) => {
    const out = marbleContext(scheduler2, timeout, tcp, { direction: 'response', options: { timeout: 0 }, takenOut: hot<void>('40ms (x|)', { x: undefined }) });
    expectObservable(hot('a', sideMessages('response', 'a', 0)).pipe(timeout.operator(out.context))).toBe('40ms |');
    scheduler2.flush();
    assert.deepEqual(out.calls, [{ at: 40, call: 'closeBoth' }]);
  });
});
