// tcp framing: whatever the chunking, messages are at most `buffer` bytes and give back the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tcp } from '../../plugins/protocols/tcp.js';
import { frameAll, splitAt } from '../helpers/framing.js';

test('any chunking of any bytes frames into ≤ buffer-byte messages that concatenate to the input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 3000 }), (bytes, cuts, buffer) => {
      const input = Buffer.from(bytes);
      for (const direction of ['request', 'response'] as const) {
        const messages = frameAll(tcp, direction, input, cuts, { buffer, keep_alive: false, reuse_socket: false });
        assert.ok(Buffer.concat(messages.map((message) => message.bytes)).equals(input));
        assert.ok(messages.every((message) => message.bytes.length <= buffer && message.bytes.length > 0));
        if (direction === 'request') assert.ok(messages.every((message) => message.first && message.last));
      }
    }),
  );
});

test('each chunk is cut into pieces of `buffer` bytes, one exchange each, whatever behavior is drawn', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 700 }), (bytes, cuts, buffer) => {
      const input = Buffer.from(bytes);
      const messages = frameAll(tcp, 'request', input, cuts, { buffer, keep_alive: false, reuse_socket: false });
      const pieces = splitAt(input, cuts).flatMap((chunk) => Array.from({ length: Math.ceil(chunk.length / buffer) }, (_, at) => chunk.subarray(at * buffer, (at + 1) * buffer)));
      assert.deepEqual(
        messages.map((message) => [message.exchange, message.bytes.toString('hex')]),
        pieces.map((piece, at) => [at + 1, piece.toString('hex')]),
      );
    }),
  );
});
