// tcp framing: whatever the chunking, messages are at most `buffer` bytes and give back the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tcp } from '../../plugins/protocols/tcp.js';
import { frameAll, splitAt, testFramerContext } from '../helpers/framing.js';

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

test('pieces of dummy exchanges are merged; the others stay at most `buffer` bytes, and no byte moves', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 700 }), fc.func(fc.boolean()), (bytes, cuts, buffer, isDummy) => {
      const input = Buffer.from(bytes);
      const context = { ...testFramerContext(), isPassThrough: (exchange: number) => isDummy(exchange) };
      let opened = 0;
      const counting = { ...context, openExchange: () => ++opened, get latestExchange() { return opened; } };
      const messages = frameAll(tcp, 'request', input, cuts, { buffer, keep_alive: false, reuse_socket: false }, counting);
      assert.ok(Buffer.concat(messages.map((message) => message.bytes)).equals(input));
      const pieces = splitAt(input, cuts).reduce((sum, chunk) => sum + Math.ceil(chunk.length / buffer), 0);
      assert.equal(opened, pieces, 'one exchange per `buffer` bytes of each chunk, merged or not');
      for (const message of messages) {
        if (!isDummy(message.exchange)) assert.ok(message.bytes.length <= buffer, 'a chaos exchange was merged');
      }
    }),
  );
});
