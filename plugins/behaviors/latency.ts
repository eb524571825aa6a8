// Toxiproxy's `latency`: each piece of data on its stream leaves `latency` ms (± `jitter`, uniform)
// after it arrived, in order. Taken out, what it holds goes at once; the end follows the data.
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { paced } from './paced.js';
import { actsOn, MAX_TIMER_MS, streamOption } from './toxic-stream.js';

export type LatencyOptions = { latency: number; jitter: number; stream: string };

export const latency = defineBehavior<LatencyOptions>({
  name: 'latency',
  description: 'Toxiproxy latency: delays each piece of data by latency ± jitter ms',
  scope: 'stream',
  options: {
    latency: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Delay in milliseconds' },
    jitter: { type: 'int', default: 0, max: MAX_TIMER_MS, description: 'Plus or minus this many milliseconds, drawn per piece' },
    stream: streamOption,
  },
  operator({ direction, options, rng, takenOut }) {
    if (!actsOn(direction, options.stream)) return identity;
    const { latency: latencyMs, jitter } = options;
    // Toxiproxy draws in [-jitter, jitter); a negative total leaves at once.
    const wait = (): number => (jitter > 0 ? latencyMs + rng.int(0, 2 * jitter - 1) - jitter : latencyMs);
    return paced((message, now) => [{ message, at: now + wait() }], takenOut);
  },
});
