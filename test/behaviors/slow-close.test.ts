// slow_close's operator in virtual time: data passes at once; the end of the stream is passed on
// `delay` ms late; taken out, the end is not held.
import { test } from 'node:test';
import { slowClose } from '../../plugins/behaviors/slow-close.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('data passes as it comes; the close comes `delay` ms after the stream ended', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, slowClose, tcp, { direction: 'response', options: { delay: 100 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('response', 'ab', 0);
    expectObservable(hot('a 9ms b 9ms |', values).pipe(slowClose.operator(context))).toBe('a 9ms b 109ms |', values);
  });
});

test('taken out of force (before or during the wait), the close is passed on at once', () => {
  for (const takenOutAt of [5, 50]) {
    const scheduler = marbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const takenOut = hot<void>(`${takenOutAt}ms (x|)`, { x: undefined });
      const { context } = marbleContext(scheduler, slowClose, tcp, { direction: 'response', options: { delay: 1000 }, takenOut });
      const values = sideMessages('response', 'a', 0);
      const end = Math.max(takenOutAt, 20);
      expectObservable(hot('a 19ms |', values).pipe(slowClose.operator(context))).toBe(`a ${end - 1}ms |`, values);
    });
  }
});
