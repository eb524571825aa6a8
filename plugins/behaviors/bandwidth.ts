// Toxiproxy's `bandwidth`: data on its stream flows at most at `rate` KB/s (1 KB = 1000 bytes).
// Like Toxiproxy, a piece waits its own transmission time, and big pieces leave in slices of
// 100 ms worth; a rate of 0 lets nothing through until the toxic is taken out.
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';
import { paced, type Timed } from './paced.js';
import { actsOn, streamOption } from './toxic-stream.js';

export type BandwidthOptions = { rate: number; stream: string };

export const bandwidth = defineBehavior<BandwidthOptions>({
  name: 'bandwidth',
  description: 'Toxiproxy bandwidth: limits the stream to rate KB/s',
  scope: 'stream',
  options: {
    rate: { type: 'int', default: 0, description: 'Rate in KB/s (1000 bytes a second per unit)' },
    stream: streamOption,
  },
  operator({ direction, options, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    const bytesPerMs = options.rate; // rate KB/s is rate bytes per millisecond
    const slice = Math.max(1, bytesPerMs * 100);
    let free = 0; // when the link is next free, on the scheduler's clock
    const plan = (message: Message, now: number): Timed[] => {
      if (bytesPerMs <= 0) return [{ message, at: Infinity }];
      const out: Timed[] = [];
      let at = Math.max(now, free);
      for (let start = 0; start < message.bytes.length; start += slice) {
        const bytes = message.bytes.subarray(start, start + slice);
        at += bytes.length / bytesPerMs;
        out.push({ message: bytes.length === message.bytes.length ? message : { ...message, bytes }, at });
      }
      free = at;
      return out;
    };
    return paced(plan, takenOut);
  },
});
