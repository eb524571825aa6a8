// formatWeightedSpec writes what parseWeightedSpec reads back as the same set, for any weights:
// a spec read from a proxy can always be given back to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatWeightedSpec, parseWeightedSpec } from '../../lib/choose/weighted-spec.js';

/** A weight in (0, 100] written in plain decimals as a user could, from 1e-300 to 100. */
const weight = fc.oneof(
  fc.double({ min: Number.MIN_VALUE, max: 100, noNaN: true }).filter((value) => value > 0),
  fc.integer({ min: 1, max: 100 }),
  fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 20 })).map(([whole, digits]) => whole + 10 ** -digits),
);

test('any valid weighted set survives format then parse unchanged', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom('delay', 'error', 'hang', 'abort', 'blackout', 'transient', 'dummy'), weight), { selector: ([name]) => name, minLength: 1, maxLength: 7 }), (entries) => {
      const total = entries.reduce((sum, [, value]) => sum + value, 0);
      fc.pre(total <= 100);
      const spec = entries.map(([name, value]) => ({ name, weight: value }));
      const text = formatWeightedSpec(spec);
      assert.deepEqual(parseWeightedSpec(text), spec.length === 1 && spec[0]?.weight === 100 ? [{ name: spec[0].name, weight: 100 }] : spec, text);
    }),
    { seed: 15_10, numRuns: 3000 },
  );
});

test('weights read back as written: no exponent, no rounding', () => {
  assert.equal(formatWeightedSpec(parseWeightedSpec('99.9999999:delay,0.0000001:error')), '99.9999999:delay,0.0000001:error');
  assert.equal(formatWeightedSpec(parseWeightedSpec('33.3333333:delay')), '33.3333333:delay');
  assert.equal(formatWeightedSpec([{ name: 'error', weight: 1.5e-7 }]), '0.00000015:error');
  assert.equal(formatWeightedSpec([{ name: 'error', weight: 5e-324 }]), `0.${'0'.repeat(323)}5:error`);
});
