// Watches one stream behavior (a Toxiproxy toxic) on one direction of one connection: the bytes
// and pieces it was given and let go of, how long the pieces it passed on whole were held, how
// late it completed after its source did, and calls `onEnd` once when it leaves force.
import { Observable, tap } from 'rxjs';
import type { Message } from '../contract/message.js';
import type { MessageOperator } from '../pipeline/exchanges.js';

export class StreamWatch {
  bytesIn = 0;
  bytesOut = 0;
  piecesIn = 0;
  piecesOut = 0;
  /** Pieces emitted as they were given (the same message), and the time they were held in all, ms. */
  heldPieces = 0;
  heldMs = 0;
  /** Time from the end of its source (or its last piece, if later) to its own completion, ms. */
  endHeldMs = 0;
  failed = false;
  /** When it was put in force (subscribed). */
  startedAt = 0;

  /** `operator`, subscribed once, with this watch seeing it; `onEnd` is called once it is unsubscribed, whatever the cause. */
  wrap(operator: MessageOperator, onEnd: () => void): MessageOperator {
    return (source) =>
      new Observable<Message>((subscriber) => {
        this.startedAt = performance.now();
        // Weak: the watch never keeps a message alive. A message is counted once, however many
        // times the operator subscribes to its (hot) source.
        const arrivals = new WeakMap<Message, number>();
        let sourceEndedAt: number | undefined;
        let lastOutAt = 0;
        const counted = source.pipe(
          tap({
            next: (message) => {
              if (arrivals.has(message)) return;
              arrivals.set(message, performance.now());
              this.piecesIn++;
              this.bytesIn += message.bytes.length;
            },
            complete: () => (sourceEndedAt ??= performance.now()),
          }),
        );
        const subscription = operator(counted).subscribe({
          next: (message) => {
            lastOutAt = performance.now();
            const arrived = arrivals.get(message);
            if (arrived !== undefined) {
              this.heldPieces++;
              this.heldMs += lastOutAt - arrived;
            }
            this.piecesOut++;
            this.bytesOut += message.bytes.length;
            subscriber.next(message);
          },
          error: (error: unknown) => {
            this.failed = true;
            subscriber.error(error);
          },
          complete: () => {
            if (sourceEndedAt !== undefined) this.endHeldMs = performance.now() - Math.max(sourceEndedAt, lastOutAt);
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          onEnd();
        };
      });
  }

  /** The mean time a piece passed on whole was held, ms (0 when none was). */
  get meanHoldMs(): number {
    return this.heldPieces === 0 ? 0 : this.heldMs / this.heldPieces;
  }
}
