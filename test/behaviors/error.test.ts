// error's operator in virtual time: the request side is dropped and answered once it is read
// (at once when the client waits for an answer), after `warmup` exchanges; `inject` corrupts the
// first message of the answer instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { error } from '../../plugins/behaviors/error.js';
import { redis } from '../../plugins/protocols/redis.js';
import { http } from '../../plugins/protocols/http.js';
import { createRng } from '../../lib/rng.js';
import { marbleContext, marbleScheduler, sideMessages } from '../helpers/marbles.js';

test('error drops the whole request and answers the protocol error when its last message is read', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, error, redis, { direction: 'request' });
  scheduler.run(({ hot, expectObservable, flush }) => {
    expectObservable(hot('-a-b-c|', sideMessages('request', 'abc')).pipe(error.operator(context))).toBe('------|');
    flush();
    assert.deepEqual(calls, [{ at: 5, call: 'reply', bytes: '-ERR vaurien injected error\r\n', close: false }]);
  });
});

test('a request whose client waits for an answer (100-continue) is answered at its first message', () => {
  const scheduler = marbleScheduler();
  const { context, calls } = marbleContext(scheduler, error, http, { direction: 'request' });
  const values = sideMessages('request', 'ab');
  const head = { ...values['a']!, info: { method: 'POST', awaitsAnswer: true } };
  scheduler.run(({ hot, expectObservable, flush }) => {
    expectObservable(hot('-a-b|', { a: head, b: values['b']! }).pipe(error.operator(context))).toBe('----|');
    flush();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.at, 1);
    assert.match(calls[0]?.bytes ?? '', /^HTTP\/1\.1 50[123] /);
    assert.equal(calls[0]?.close, true, 'an http error closes the connection');
  });
});

test('the response side is left alone; within the warmup the request side too', () => {
  const scheduler = marbleScheduler();
  assert.equal(error.operator(marbleContext(scheduler, error, redis, { direction: 'response' }).context), identity);
  assert.equal(error.operator(marbleContext(scheduler, error, redis, { direction: 'request', options: { warmup: 2 }, exchangesSoFar: 1 }).context), identity);
  assert.notEqual(error.operator(marbleContext(scheduler, error, redis, { direction: 'request', options: { warmup: 2 }, exchangesSoFar: 2 }).context), identity);
});

test('inject forwards the request and corrupts only the first message of the answer', () => {
  const scheduler = marbleScheduler();
  assert.equal(error.operator(marbleContext(scheduler, error, redis, { direction: 'request', options: { inject: true } }).context), identity);
  const { context } = marbleContext(scheduler, error, redis, { direction: 'response', options: { inject: true } });
  const values = sideMessages('response', 'ab');
  // The context's generator is seeded 1: the same bytes go in.
  const corrupted = redis.corrupt!(values['a']!, createRng(1));
  assert.notDeepEqual(corrupted.bytes, values['a']!.bytes);
  scheduler.run(({ hot, expectObservable }) => {
    expectObservable(hot('a-b|', values).pipe(error.operator(context))).toBe('a-b|', { a: corrupted, b: values['b']! });
  });
});
