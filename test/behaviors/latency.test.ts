// latency's operator in virtual time: each piece leaves `latency` ms after it arrived (± jitter),
// in order; the other stream is left alone; taken out, what it holds leaves at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { latency } from '../../plugins/behaviors/latency.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('each piece of data waits `latency` ms from its own arrival, not from the previous one', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, latency, tcp, { direction: 'response', options: { latency: 100 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('response', 'abc', 0);
    expectObservable(hot('a 9ms b 49ms c|', values).pipe(latency.operator(context))).toBe('100ms a 9ms b 49ms (c|)', values);
  });
});

test('downstream by default: the upstream direction is identity; stream=upstream swaps them', () => {
  const scheduler = marbleScheduler();
  assert.equal(latency.operator(marbleContext(scheduler, latency, tcp, { direction: 'request', options: { latency: 100 } }).context), identity);
  assert.notEqual(latency.operator(marbleContext(scheduler, latency, tcp, { direction: 'request', options: { latency: 100, stream: 'upstream' } }).context), identity);
  assert.equal(latency.operator(marbleContext(scheduler, latency, tcp, { direction: 'response', options: { stream: 'upstream' } }).context), identity);
});

test('jitter draws each wait in latency ± jitter, and order is kept', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, latency, tcp, { direction: 'response', options: { latency: 50, jitter: 20 } });
  const times: number[] = [];
  scheduler.run(({ hot }) => {
    const letters = 'abcdefghij';
    const values = sideMessages('response', letters, 0);
    hot([...letters].join(' 99ms ') + '|', values)
      .pipe(latency.operator(context))
      .subscribe(() => times.push(scheduler.now()));
  });
  const waits = times.map((at, index) => at - index * 100);
  assert.equal(waits.length, 10);
  assert.ok(waits.every((wait) => wait >= 30 && wait < 70), `waits ${waits.join(', ')}`);
  assert.ok(new Set(waits).size > 3, `jitter drew ${waits.join(', ')}`);
});

test('taken out of force, every piece it holds leaves at once', () => {
  const scheduler = marbleScheduler();
  scheduler.run(({ hot, expectObservable }) => {
    const takenOut = hot<void>('30ms (x|)', { x: undefined });
    const { context } = marbleContext(scheduler, latency, tcp, { direction: 'response', options: { latency: 1000 }, takenOut });
    const values = sideMessages('response', 'ab', 0);
    expectObservable(hot('a 9ms b 30ms |', values).pipe(latency.operator(context))).toBe('30ms (ab) 7ms |', values);
  });
});
