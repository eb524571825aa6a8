// Toxiproxy's `limit_data`: the first `bytes` bytes of its stream pass (the piece that crosses
// the limit is cut), then the connection is closed. 0 closes it at the first data.
import { identity, Observable } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import type { Message } from '../../lib/contract/message.js';
import { actsOn, streamOption } from './toxic-stream.js';

export type LimitDataOptions = { bytes: number; stream: string };

export const limitData = defineBehavior<LimitDataOptions>({
  name: 'limit_data',
  description: 'Toxiproxy limit_data: closes the connection once bytes have passed',
  scope: 'stream',
  options: {
    bytes: { type: 'int', default: 0, description: 'Bytes let through before the connection is closed' },
    stream: streamOption,
  },
  operator({ direction, options, connection }) {
    if (!actsOn(direction, options.stream)) return identity;
    return (source) =>
      new Observable<Message>((subscriber) => {
        let passed = 0;
        return source.subscribe({
          next: (message) => {
            const left = Math.max(0, options.bytes - passed);
            const bytes = message.bytes.length > left ? message.bytes.subarray(0, left) : message.bytes;
            if (bytes.length > 0) subscriber.next(bytes === message.bytes ? message : { ...message, bytes });
            passed += bytes.length;
            if (passed >= options.bytes) {
              connection.closeBoth();
              subscriber.complete();
            }
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      });
  },
});
