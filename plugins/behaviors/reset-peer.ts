// Toxiproxy's `reset_peer`: the first data on its stream (or its end) arms it; that data and all
// after it are dropped, and `timeout` ms later both connections are reset (TCP RST). Taken out
// before it is armed, it lets the data through; once armed, the reset still comes.
import { filter, identity, Observable, Subscription, tap, timer } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';
import { actsOn, MAX_TIMER_MS, streamOption } from './toxic-stream.js';

export type ResetPeerOptions = { timeout: number; stream: string };

export const resetPeer = defineBehavior<ResetPeerOptions>({
  name: 'reset_peer',
  description: 'Toxiproxy reset_peer: resets the connection timeout ms after data arrives',
  scope: 'stream',
  options: {
    timeout: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Milliseconds from the first data to the reset' },
    stream: streamOption,
  },
  operator({ direction, options, connection, discard, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    return (source) =>
      new Observable<Message>((subscriber) => {
        const subscription = new Subscription();
        let armed = false;
        let passing = false;
        const arm = (): void => {
          if (armed || passing) return;
          armed = true;
          subscription.add(
            timer(options.timeout).subscribe(() => {
              connection.reset();
              subscriber.complete();
            }),
          );
        };
        subscription.add(
          takenOut.subscribe(() => {
            if (!armed) passing = true;
          }),
        );
        // Two views of the (hot) source: dropped while it acts, passed on once taken out unarmed.
        subscription.add(
          source.pipe(filter(() => !passing), tap(arm), discard).subscribe({
            error: (error: unknown) => subscriber.error(error),
            complete: () => (passing ? subscriber.complete() : arm()),
          }),
        );
        subscription.add(source.pipe(filter(() => passing)).subscribe((message) => subscriber.next(message)));
        return subscription;
      });
  },
});
