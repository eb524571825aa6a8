// Toxiproxy's `slicer`: each piece of data leaves cut into pieces of about `average_size` bytes
// (± `size_variation`), `delay` µs apart, each in a write of its own; never below one byte (an
// `average_size` of 0, Toxiproxy's default, overflows its stack and kills Toxiproxy 2.12).
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';
import type { Rng } from '../../lib/rng.js';
import { paced, type Timed } from './paced.js';
import { actsOn, MAX_TIMER_MS, streamOption } from './toxic-stream.js';

export type SlicerOptions = { average_size: number; size_variation: number; delay: number; stream: string };

export const slicer = defineBehavior<SlicerOptions>({
  name: 'slicer',
  description: 'Toxiproxy slicer: cuts data into small pieces, delay µs apart',
  scope: 'stream',
  options: {
    average_size: { type: 'int', default: 0, description: 'Average size of a piece, in bytes' },
    size_variation: { type: 'int', default: 0, description: 'Plus or minus this many bytes (less than average_size)' },
    delay: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Microseconds between pieces' },
    stream: streamOption,
  },
  operator({ direction, options, rng, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    const gapMs = options.delay / 1000;
    let free = 0;
    const plan = (message: Message, now: number): Timed[] => {
      const bounds = cutPoints(0, message.bytes.length, options.average_size, options.size_variation, rng);
      const start = Math.max(now, free);
      const out: Timed[] = [];
      for (let at = 1; at < bounds.length; at++) {
        const bytes = message.bytes.subarray(bounds[at - 1], bounds[at]);
        out.push({ message: { ...message, bytes }, at: start + (at - 1) * gapMs, apart: true });
      }
      // Toxiproxy waits `delay` after the last piece too, before it takes the next data.
      free = start + (bounds.length - 1) * gapMs;
      return out;
    };
    return paced(plan, takenOut);
  },
});

/** Cut points [start, p1, p2, …, end]: a span within `variation` of the average (or of one byte) stays whole. */
export function cutPoints(start: number, end: number, average: number, variation: number, rng: Rng): number[] {
  const points = [start];
  const spans: Array<[number, number]> = [[start, end]];
  // Depth first, left to right, without recursion: a 1 GB piece cannot overflow the stack.
  while (spans.length > 0) {
    const [from, to] = spans.pop() as [number, number];
    if (to - from <= 1 || to - from - average <= variation) {
      if (to > from) points.push(to);
      continue;
    }
    let middle = from + Math.floor((to - from) / 2);
    if (variation > 0) middle += rng.int(0, 2 * variation - 1) - variation;
    middle = Math.min(to - 1, Math.max(from + 1, middle));
    spans.push([middle, to], [from, middle]);
  }
  return points;
}
