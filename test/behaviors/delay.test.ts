// delay's operator in virtual time: the held side waits `sleep` once, before its first message;
// the messages behind it follow at once; the other side is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { delay } from '../../plugins/behaviors/delay.js';
import { http } from '../../plugins/protocols/http.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('delay holds the request side once by `sleep`, not once per message', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, delay, http, { direction: 'request', options: { sleep: 0.1 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('request', 'abc');
    const side = hot('-a-b-c|', values);
    // a at 1 waits 100 ms (until 101); b and c came meanwhile and follow it at once.
    expectObservable(side.pipe(delay.operator(context))).toBe('101ms (abc|)', values);
  });
});

test('messages that come after the wait go through as they come', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, delay, http, { direction: 'request', options: { sleep: 0.01 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('request', 'ab');
    expectObservable(hot('-a 20ms b|', values).pipe(delay.operator(context))).toBe('11ms a 10ms b|', values);
  });
});

test('before=false holds the response side instead; the request side is identity', () => {
  const scheduler = marbleScheduler();
  const request = marbleContext(scheduler, delay, http, { direction: 'request', options: { before: false } });
  assert.equal(delay.operator(request.context), identity);
  const { context } = marbleContext(scheduler, delay, http, { direction: 'response', options: { before: false, sleep: 0.05 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('response', 'ab');
    expectObservable(hot('a-b|', values).pipe(delay.operator(context))).toBe('50ms (ab|)', values);
  });
});

test("a greeting (the server spoke first) is held on the response side whatever `before` says", () => {
  const scheduler = marbleScheduler();
  assert.equal(delay.operator(marbleContext(scheduler, delay, http, { direction: 'request', opener: 'response' }).context), identity);
  const { context } = marbleContext(scheduler, delay, http, { direction: 'response', opener: 'response', options: { sleep: 0.02 } });
  scheduler.run(({ hot, expectObservable }) => {
    const values = sideMessages('response', 'g');
    expectObservable(hot('g|', values).pipe(delay.operator(context))).toBe('20ms (g|)', values);
  });
});
