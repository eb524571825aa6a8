// A behavior plugin (RxJS style): corrupts the answer of every `nth` exchange it is picked
// for, overwriting its first bytes with seeded random ones. Try it with:
//   vaurien --backend localhost:8888 --behavior 100:./examples/corrupt-every-nth.js --behavior-corrupt-every-nth-nth 3
import { identity, map } from 'vaurien/rxjs'; // the RxJS vaurien runs, wherever this file lies

/** @type {import('vaurien').BehaviorDefinition<{ nth: number }>} */
export const corruptEveryNth = {
  name: 'corrupt-every-nth',
  description: 'Corrupts the start of the response of every nth exchange',
  options: { nth: { type: 'int', default: 2, min: 1, description: 'Corrupt one exchange in nth' } },
  operator({ direction, options, exchangesSoFar, rng }) {
    if (direction !== 'response' || (exchangesSoFar + 1) % options.nth !== 0) return identity;
    const corrupt = (bytes) => Buffer.concat([rng.bytes(Math.min(8, bytes.length)), bytes.subarray(8)]);
    return map((message, index) => (index === 0 ? { ...message, bytes: corrupt(message.bytes) } : message));
  },
};
