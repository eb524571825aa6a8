// The fault log's view of one side of an exchange: how long the behavior's operator held the
// first message. A message an operator passes on while it is being given was not held, however
// long that call took (a busy machine can pause the process in the middle of it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferCount, delay, map, mergeMap, Subject } from 'rxjs';
import type { Message } from '../../lib/contract/message.js';
import type { MessageOperator } from '../../lib/pipeline/exchanges.js';
import { describeOutcome } from '../../lib/faults/outcome.js';
import { SideWatch } from '../../lib/faults/side-watch.js';

const NO_CALLS = { replied: false, closedClient: false, closedBoth: false, reset: false };

function message(text: string): Message {
  return { bytes: Buffer.from(text), direction: 'request', exchange: 1, first: true, last: true };
}

/** Stands for the process being paused mid-call: the wall clock moves, nothing is held. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Gives `texts` to `operator` through a watch, `gapMs` apart; resolves once it completes. */
async function watchRun(operator: MessageOperator, texts: string[], gapMs = 0): Promise<SideWatch> {
  const watch = new SideWatch();
  const input = new Subject<Message>();
  const done = new Promise<void>((resolve) => watch.wrap(operator)(input).subscribe({ complete: resolve }));
  for (const [index, text] of texts.entries()) {
    if (index > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    input.next(message(text));
  }
  input.complete();
  await done;
  return watch;
}

test('a message passed on during the call that gave it was not held, however long the call took', async () => {
  const watch = await watchRun(map((given: Message) => (busyFor(15), given)), ['GET /']);
  assert.equal(watch.holdMs, 0);
  assert.equal(describeOutcome(NO_CALLS, [watch]), 'passed');
});

test('a message emitted later was held from its giving to its emission', async () => {
  const watch = await watchRun(delay(30), ['GET /']);
  assert.ok(watch.holdMs >= 25, `held ${watch.holdMs} ms`);
  assert.match(describeOutcome(NO_CALLS, [watch]), /^delayed \d+ ms$/);
});

test('a first message held until the second arrives counts from the first', async () => {
  const watch = await watchRun(
    (source) => source.pipe(bufferCount(2), mergeMap((pair) => pair)),
    ['a', 'b'],
    30,
  );
  assert.equal(watch.emitted, 2);
  assert.ok(watch.holdMs >= 25, `held ${watch.holdMs} ms`);
});
