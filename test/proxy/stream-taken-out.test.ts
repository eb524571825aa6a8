// A stream behavior learns when it is taken out of force (context.takenOut), as opposed to its
// direction ending: a behavior that holds messages (latency, bandwidth) lets them go at once
// then, instead of holding what follows it behind its timers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, Subject, Subscription, type MonoTypeOperatorFunction } from 'rxjs';
import type { Message } from '../../lib/contract/message.js';
import { OperatorRun } from '../../lib/pipeline/operator-run.js';
import { StreamStack, type StreamEntry } from '../../lib/pipeline/stream-stack.js';

const message = (text: string): Message => ({ bytes: Buffer.from(text), direction: 'response', exchange: 0, first: true, last: true });

/** An entry whose operator holds everything until its source completes (plus `holdMs`), or lets it go at once when taken out. */
function holdingEntry(key: string, holdMs: number, events: string[]): StreamEntry {
  const takenOut = new Subject<void>();
  const operator: MonoTypeOperatorFunction<Message> = (source) =>
    new Observable<Message>((subscriber) => {
      const held: Message[] = [];
      let out = false;
      const flush = (): void => {
        for (const item of held.splice(0)) subscriber.next(item);
      };
      const subscription = new Subscription();
      subscription.add(
        takenOut.subscribe(() => {
          out = true;
          flush();
        }),
      );
      subscription.add(
        source.subscribe({
          next: (item) => (out ? subscriber.next(item) : held.push(item)),
          complete: () => {
            if (out) return subscriber.complete();
            setTimeout(() => {
              flush();
              subscriber.complete();
            }, holdMs);
          },
        }),
      );
      return subscription;
    });
  return {
    key,
    version: 1,
    operator,
    attach: (_run: OperatorRun) => {},
    takenOut: () => {
      events.push(`takenOut ${key}`);
      takenOut.next();
      takenOut.complete();
    },
  };
}

test('a stream behavior taken out of force is told so before its source completes', () => {
  const events: string[] = [];
  const written: string[] = [];
  const stack = new StreamStack({ write: (item) => written.push(item.bytes.toString()), streamEnded: () => events.push('ended'), failed: () => events.push('failed') });
  stack.set([holdingEntry('slow', 10_000, events)]);
  stack.push(message('a'));
  assert.deepEqual(written, [], 'held by the behavior');
  stack.set([]);
  assert.deepEqual(events, ['takenOut slow']);
  assert.deepEqual(written, ['a'], 'let go at once, not 10 s later');
  stack.push(message('b'));
  stack.end();
  assert.deepEqual(written, ['a', 'b']);
  assert.deepEqual(events, ['takenOut slow', 'ended']);
});

test('a direction that ends does not tell its stream behaviors they were taken out', async () => {
  const events: string[] = [];
  const written: string[] = [];
  const stack = new StreamStack({ write: (item) => written.push(item.bytes.toString()), streamEnded: () => events.push('ended'), failed: () => events.push('failed') });
  stack.set([holdingEntry('slow', 5, events)]);
  stack.push(message('a'));
  stack.end();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(written, ['a']);
  assert.deepEqual(events, ['ended']);
});
