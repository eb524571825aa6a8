// An exchange may be given several behaviors at once (a Toxiproxy server's toxics of one
// stream): their operators apply in order on each side, and each one acting is counted once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity, lastValueFrom, map, of, toArray } from 'rxjs';
import { defineBehavior, type BehaviorContext, type Message } from '../../lib/index.js';
import { ExchangeLedger, type ExchangePick } from '../../lib/pipeline/exchanges.js';
import { silentLogger } from '../../lib/log.js';

const tagging = (tag: string, side: 'request' | 'response' | 'both') =>
  defineBehavior({
    name: `tag-${tag}`,
    description: 'appends a tag',
    options: {},
    operator: ({ direction }) => (side === 'both' || side === direction ? map((message: Message) => ({ ...message, bytes: Buffer.concat([message.bytes, Buffer.from(tag)]) })) : identity),
  });

test('the behaviors of one exchange apply in order; identity ones are skipped; each counts once as a fault', async () => {
  const faults: string[] = [];
  const pick: ExchangePick = {
    choice: { definition: tagging('A', 'both'), options: {}, weight: 100 },
    exchangesSoFar: 0,
    then: { choice: { definition: tagging('B', 'response'), options: {}, weight: 100 }, exchangesSoFar: 0, then: { choice: { definition: tagging('C', 'both'), options: {}, weight: 100 }, exchangesSoFar: 0 } },
  };
  const ledger = new ExchangeLedger(
    'ordered',
    {
      choose: () => pick,
      contextFor: (exchange, direction) => ({ direction, exchange }) as unknown as BehaviorContext,
      countFault: (name) => faults.push(name),
    },
    silentLogger,
  );
  const exchange = ledger.openExchange();
  const run = async (direction: 'request' | 'response'): Promise<string> => {
    const message: Message = { bytes: Buffer.from('x'), direction, exchange, first: true, last: true };
    const out = await lastValueFrom(of(message).pipe(ledger.operatorFor(exchange, direction), toArray()));
    return out.map((item) => item.bytes.toString()).join();
  };
  assert.equal(await run('request'), 'xAC');
  assert.equal(await run('response'), 'xABC');
  assert.deepEqual(faults, ['tag-A', 'tag-C', 'tag-B']);
});
