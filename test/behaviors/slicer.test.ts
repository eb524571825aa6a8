// slicer's operator in virtual time: each piece is cut into slices of about average_size
// (± size_variation) bytes, `delay` µs apart, bytes unchanged and in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slicer, cutPoints } from '../../plugins/behaviors/slicer.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import type { Message } from '../../lib/contract/message.js';
import { createRng } from '../../lib/rng.js';
import { marbleContext, marbleScheduler } from '../helpers/marbles.js';

const text = (bytes: string): Message => ({ bytes: Buffer.from(bytes), direction: 'response', exchange: 0, first: true, last: true });

test('a 40-byte piece with average_size 10, delay 5000 µs: four 10-byte slices 5 ms apart', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, slicer, tcp, { direction: 'response', options: { average_size: 10, delay: 5000 } });
  const out: Array<[number, string]> = [];
  scheduler.run(({ hot }) => {
    hot('a|', { a: text('0123456789abcdefghijABCDEFGHIJ!@#$%^&*()') })
      .pipe(slicer.operator(context))
      .subscribe((message) => out.push([scheduler.now(), message.bytes.toString()]));
  });
  assert.deepEqual(out, [
    [0, '0123456789'],
    [5, 'abcdefghij'],
    [10, 'ABCDEFGHIJ'],
    [15, '!@#$%^&*()'],
  ]);
});

test('with size_variation the slices vary around the average; together they are the piece, in order', () => {
  const rng = createRng(7);
  const points = cutPoints(0, 10_000, 100, 40, rng);
  const sizes = points.slice(1).map((point, at) => point - (points[at] as number));
  assert.equal(points.at(-1), 10_000);
  assert.ok(sizes.every((size) => size >= 1 && size <= 140), `sizes ${Math.min(...sizes)}..${Math.max(...sizes)}`);
  const average = 10_000 / sizes.length;
  assert.ok(average > 50 && average < 150, `average ${average}`);
  assert.ok(new Set(sizes).size > 5);
});

test('average_size 0 (Toxiproxy’s default, where it overflows its stack) gives 1-byte slices', () => {
  assert.deepEqual(cutPoints(0, 5, 0, 0, createRng(1)), [0, 1, 2, 3, 4, 5]);
});

test('a second piece waits for the delay after the last slice of the first', () => {
  const scheduler = marbleScheduler();
  const { context } = marbleContext(scheduler, slicer, tcp, { direction: 'response', options: { average_size: 2, delay: 10_000 } });
  const out: Array<[number, string]> = [];
  scheduler.run(({ hot }) => {
    hot('(ab)|', { a: text('1234'), b: text('56') })
      .pipe(slicer.operator(context))
      .subscribe((message) => out.push([scheduler.now(), message.bytes.toString()]));
  });
  assert.deepEqual(out, [
    [0, '12'],
    [10, '34'],
    [20, '56'],
  ]);
});
