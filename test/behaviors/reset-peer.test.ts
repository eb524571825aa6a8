// reset_peer's operator in virtual time: the first data arms it; that data and what follows are
// dropped; `timeout` ms later both connections are reset. Its end arms it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resetPeer } from '../../plugins/behaviors/reset-peer.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import type { Message } from '../../lib/contract/message.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('data arms it: nothing passes, and the connection is reset `timeout` ms after the first data', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, resetPeer, tcp, { direction: 'response', options: { timeout: 50 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('20ms a 9ms b', sideMessages('response', 'ab', 0)).pipe(resetPeer.operator(context))).toBe('70ms |');
  });
  assert.deepEqual(calls, [{ at: 70, call: 'reset' }]);
});

test('timeout 0 resets at the first data; a stream that stays silent is never reset', () => {
  const scheduler = marbleScheduler();
  const first = marbleContext(scheduler, resetPeer, tcp, { direction: 'response', options: { timeout: 0 } });
  const silent = marbleContext(scheduler, resetPeer, tcp, { direction: 'response', options: { timeout: 0 } });
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('5ms a', sideMessages('response', 'a', 0)).pipe(resetPeer.operator(first.context))).toBe('5ms |');
    expectObservable(hot<Message>('-').pipe(resetPeer.operator(silent.context))).toBe('');
  });
  assert.deepEqual(first.calls, [{ at: 5, call: 'reset' }]);
  assert.deepEqual(silent.calls, []);
});

test('taken out before any data, it lets the data through', () => {
  const scheduler = marbleScheduler();
  scheduler.run(({ hot, expectObservable }) => {
    const { context, calls } = marbleContext(scheduler, resetPeer, tcp, { direction: 'response', options: { timeout: 0 }, takenOut: hot<void>('10ms (x|)', { x: undefined }) });
    const values = sideMessages('response', 'a', 0);
    expectObservable(hot('20ms a 9ms |', values).pipe(resetPeer.operator(context))).toBe('20ms a 9ms |', values);
    scheduler.flush();
    assert.deepEqual(calls, []);
  });
});
