// Times one side's operator and sees what it does with the messages it is given: how long until
// it emitted the first one, whether it emitted messages it was not given (it changed bytes), fewer
// than it got, and whether it completed, failed, or was cut (unsubscribed by the connection's close).
import { Observable } from 'rxjs';
import type { Message } from '../contract/message.js';
import type { MessageOperator } from '../pipeline/exchanges.js';

export class SideWatch {
  given = 0;
  emitted = 0;
  /** performance.now() of the first message given, and of the first emitted. */
  firstGivenAt = 0;
  firstEmittedAt = 0;
  /** It emitted a message it was not given (a corrupted copy, a new answer). */
  changed = false;
  completed = false;
  failed = false;
  /** Subscribed and not yet completed or failed. */
  active = false;
  /** Unsubscribed before it completed: the connection closed while the side was held. */
  cut = false;

  /** Time from the first message given to the first one emitted, ms (0 when none went on). */
  get holdMs(): number {
    return this.emitted === 0 ? 0 : this.firstEmittedAt - this.firstGivenAt;
  }

  /** `operator`, subscribed as the engine would, with this side watching it. */
  wrap(operator: MessageOperator): MessageOperator {
    return (source) =>
      new Observable<Message>((subscriber) => {
        // Weak: the watch never keeps a message (a big body's pieces) alive.
        const given = new WeakSet<Message>();
        this.active = true;
        // A message emitted while one is being given was not held: its time is the giving's,
        // not the clock's after the call (a busy machine may pause the process mid-call).
        let givingSince: number | undefined;
        const counted = new Observable<Message>((inner) =>
          source.subscribe({
            next: (message) => {
              const now = performance.now();
              if (this.given++ === 0) this.firstGivenAt = now;
              given.add(message);
              givingSince = now;
              try {
                inner.next(message);
              } finally {
                givingSince = undefined;
              }
            },
            error: (error: unknown) => inner.error(error),
            complete: () => inner.complete(),
          }),
        );
        const subscription = operator(counted).subscribe({
          next: (message) => {
            if (this.emitted++ === 0) this.firstEmittedAt = givingSince ?? performance.now();
            if (!given.has(message)) this.changed = true;
            subscriber.next(message);
          },
          error: (error: unknown) => {
            this.active = false;
            this.failed = true;
            subscriber.error(error);
          },
          complete: () => {
            this.active = false;
            this.completed = true;
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          if (this.active) {
            this.active = false;
            this.cut = true;
          }
        };
      });
  }
}
