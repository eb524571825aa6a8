// Releases a stream's messages in order, each at the time its toxic gave it on arrival, never
// before the one ahead; taken out of force, everything at once (as Toxiproxy's interrupted toxics
// do). Time is the RxJS scheduler's (virtual in marble tests); the end follows the last message.
import { asapScheduler, asyncScheduler, Observable, Subscription, type MonoTypeOperatorFunction } from 'rxjs';
import type { Message } from '../../lib/contract/message.js';

/** A message and when it may leave (the scheduler's clock, ms; Infinity: not until taken out). */
export interface Timed {
  readonly message: Message;
  readonly at: number;
  /** Leaves in a write of its own, even when due at once (a slicer's pieces). */
  readonly apart?: boolean;
}

export function paced(plan: (message: Message, now: number) => Iterable<Timed>, takenOut: Observable<void>): MonoTypeOperatorFunction<Message> {
  return (source) =>
    new Observable<Message>((subscriber) => {
      const queue: Timed[] = [];
      let head = 0;
      let wakeUp: Subscription | undefined;
      let ended = false;
      let released = false;
      const drain = (): void => {
        wakeUp = undefined;
        const now = asyncScheduler.now();
        let emitted = false;
        while (head < queue.length) {
          const next = queue[head] as Timed;
          if (!released && (next.at > now || (next.apart === true && emitted))) {
            if (next.at === Infinity) return;
            // A piece due now but apart goes on the next microtask: its own socket write.
            wakeUp = next.at > now ? asyncScheduler.schedule(drain, next.at - now) : asapScheduler.schedule(drain);
            return;
          }
          head++;
          emitted = true;
          subscriber.next(next.message);
        }
        queue.length = 0;
        head = 0;
        if (ended) subscriber.complete();
      };
      const subscription = new Subscription();
      // Not added to takenOut's own subscription: its completion would tear everything down.
      subscription.add(
        takenOut.subscribe(() => {
          released = true;
          wakeUp?.unsubscribe();
          drain();
        }),
      );
      subscription.add(
        source.subscribe({
          next: (message) => {
            for (const timed of plan(message, asyncScheduler.now())) queue.push(timed);
            if (wakeUp === undefined) drain();
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            ended = true;
            if (wakeUp === undefined) drain();
          },
        }),
      );
      subscription.add(() => wakeUp?.unsubscribe());
      return subscription;
    });
}
