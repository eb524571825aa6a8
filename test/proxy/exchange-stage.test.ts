// The exchange stage on its own: one operator subscription per side of an exchange, and messages
// of a side that was already over (a PostgreSQL COPY's data after its query) passing unchanged
// instead of starting the operator again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delay } from 'rxjs';
import type { Message } from '../../lib/index.js';
import { ExchangeStage } from '../../lib/pipeline/exchange-stage.js';

const message = (text: string, exchange: number, first: boolean, last: boolean): Message => ({ bytes: Buffer.from(text), direction: 'request', exchange, first, last });

test('messages of a side already over go on unchanged: the operator is subscribed once per side', async () => {
  const forwarded: Array<[string, number]> = [];
  const done: number[] = [];
  let subscriptions = 0;
  const started = performance.now();
  const stage = new ExchangeStage(
    'request',
    {
      operatorFor: () => (source) => {
        subscriptions++;
        return source.pipe(delay(40));
      },
    },
    {
      forward: (m) => forwarded.push([m.bytes.toString(), Math.round(performance.now() - started)]),
      sideDone: (exchange) => done.push(exchange),
      failed: (error) => assert.fail(String(error)),
    },
  );
  stage.push(message('Q', 1, true, true));
  await stage.wait(message('copy-data', 1, false, false));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(stage.wait(message('copy-data', 1, false, false)), undefined);
  const pushedAt = Math.round(performance.now() - started);
  stage.push(message('copy-data', 1, false, false));
  stage.push(message('copy-done', 1, false, true));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(subscriptions, 1, 'the operator was subscribed again for the same side');
  assert.deepEqual(forwarded.map(([text]) => text), ['Q', 'copy-data', 'copy-done']);
  assert.ok((forwarded[1]?.[1] ?? 0) - pushedAt < 20, 'the late messages were held again');
  assert.deepEqual(done, [1], 'the side was reported over once');
});
