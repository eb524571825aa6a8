// limit_data's operator in virtual time: the first `bytes` bytes pass (the crossing piece cut),
// then the connection is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitData } from '../../plugins/behaviors/limit-data.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import type { Message } from '../../lib/contract/message.js';
import { marbleContext, marbleScheduler } from '../helpers/marbles.js';

const text = (bytes: string): Message => ({ bytes: Buffer.from(bytes), direction: 'response', exchange: 0, first: true, last: true });

test('10 bytes allowed: 6 pass, then 4 of the next 6, and the connection closes', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, limitData, tcp, { direction: 'response', options: { bytes: 10 } });
  const out: string[] = [];
  let completedAt = -1;
  scheduler.run(({ hot }) => {
    hot('a 9ms b 9ms c', { a: text('abcdef'), b: text('ghijkl'), c: text('mnop') })
      .pipe(limitData.operator(context))
      .subscribe({ next: (message) => out.push(message.bytes.toString()), complete: () => (completedAt = scheduler.now()) });
  });
  assert.deepEqual(out, ['abcdef', 'ghij']);
  assert.equal(completedAt, 10);
  assert.deepEqual(calls, [{ at: 10, call: 'closeBoth' }]);
});

test('bytes 0 closes the connection at the first data, letting none through', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, limitData, tcp, { direction: 'response', options: { bytes: 0 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('5ms a', { a: text('x') }).pipe(limitData.operator(context))).toBe('5ms |');
  });
  assert.deepEqual(calls, [{ at: 5, call: 'closeBoth' }]);
});
