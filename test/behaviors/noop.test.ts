// noop's operator: identity on both streams, so the engine skips it (no Observable is made).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity } from 'rxjs';
import { noop } from '../../plugins/behaviors/noop.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { marbleContext, marbleScheduler } from '../helpers/marbles.js';

test('noop is identity on both streams', () => {
  const scheduler = marbleScheduler();
  for (const direction of ['request', 'response'] as const) {
    for (const stream of ['upstream', 'downstream']) {
      assert.equal(noop.operator(marbleContext(scheduler, noop, tcp, { direction, options: { stream } }).context), identity);
    }
  }
});
