// The shared table of short texts (command names, answer heads): whatever was read before, a
// text is always exactly the bytes asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { latin1Text, shareTexts } from '../../plugins/protocols/framing/latin1-text.js';

test('any sequence of reads gives each span exactly its latin1 text, however the table was filled before', () => {
  // Short tokens over few letters, so that spans of the same length and first byte collide often.
  const token = fc.uint8Array({ minLength: 0, maxLength: 20 }).map((bytes) => Buffer.from(bytes.map((byte) => 0x61 + (byte % 3))));
  fc.assert(
    fc.property(fc.array(fc.tuple(token, fc.nat(), fc.nat()), { minLength: 1, maxLength: 40 }), (reads) => {
      for (const [bytes, a, b] of reads) {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        assert.equal(latin1Text(bytes, start, end), bytes.toString('latin1', start, end));
      }
    }),
    { numRuns: 500 },
  );
});

test('texts a protocol shares beforehand come back only for their own bytes', () => {
  const token = fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => Buffer.from(bytes.map((byte) => 0x61 + (byte % 3))));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), token), { minLength: 1, maxLength: 40 }), (steps) => {
      for (const [share, bytes] of steps) {
        if (share) shareTexts([bytes.toString('latin1')]);
        else assert.equal(latin1Text(bytes, 0, bytes.length), bytes.toString('latin1'));
      }
    }),
    { numRuns: 500 },
  );
  shareTexts(['END']);
  const line = Buffer.from('ENX END');
  assert.deepEqual([latin1Text(line, 0, 3), latin1Text(line, 4, 7)], ['ENX', 'END']);
});

test('spans of the same length and first byte replace each other in the table without mixing up', () => {
  const line = Buffer.from('GET GEX GET SET');
  assert.deepEqual(
    [latin1Text(line, 0, 3), latin1Text(line, 4, 7), latin1Text(line, 8, 11), latin1Text(line, 12, 15)],
    ['GET', 'GEX', 'GET', 'SET'],
  );
  const long = Buffer.from('a-command-name-longer-than-sixteen-bytes');
  assert.equal(latin1Text(long, 0, long.length), long.toString('latin1'));
});
