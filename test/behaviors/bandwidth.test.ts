// bandwidth's operator in virtual time: data leaves at `rate` KB/s (a byte per ms per KB/s),
// big pieces in slices of 100 ms worth; rate 0 lets nothing through until taken out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandwidth } from '../../plugins/behaviors/bandwidth.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import type { Message } from '../../lib/contract/message.js';
import { marbleContext, marbleScheduler } from '../helpers/marbles.js';

const piece = (size: number): Message => ({ bytes: Buffer.alloc(size, 0x61), direction: 'response', exchange: 0, first: true, last: true });

function timeline(rate: number, input: string, values: Record<string, Message>, takenOutAt?: number): Array<[number, number]> {
  const scheduler = marbleScheduler();
  const out: Array<[number, number]> = [];
  scheduler.run(({ hot }) => {
    const takenOut = takenOutAt === undefined ? undefined : hot<void>(`${takenOutAt}ms (x|)`, { x: undefined });
    const { context } = marbleContext(scheduler, bandwidth, tcp, { direction: 'response', options: { rate }, ...(takenOut ? { takenOut } : {}) });
    hot(input, values).pipe(bandwidth.operator(context)).subscribe((message) => out.push([scheduler.now(), message.bytes.length]));
  });
  return out;
}

test('a piece waits its own transmission time: 500 bytes at 10 KB/s leave after 50 ms', () => {
  assert.deepEqual(timeline(10, 'a|', { a: piece(500) }), [[50, 500]]);
});

test('pieces queue behind each other: three of 200 bytes at 10 KB/s leave at 20, 40, 60 ms', () => {
  assert.deepEqual(timeline(10, '(abc)|', { a: piece(200), b: piece(200), c: piece(200) }), [
    [20, 200],
    [40, 200],
    [60, 200],
  ]);
});

test('a big piece leaves in slices of 100 ms worth: 2500 bytes at 10 KB/s in 1000-byte slices', () => {
  assert.deepEqual(timeline(10, 'a|', { a: piece(2500) }), [
    [100, 1000],
    [200, 1000],
    [250, 500],
  ]);
});

test('rate 0 holds everything until the toxic is taken out, then lets it go at once', () => {
  assert.deepEqual(timeline(0, 'a 9ms b 100ms |', { a: piece(10), b: piece(20) }, 50), [
    [50, 10],
    [50, 20],
  ]);
});
