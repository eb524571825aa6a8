// The hook style adapted to an operator: what each verdict of onBeforeHandle does, that
// onAfterHandle follows forwarded messages, and that hooks get the whole behavior context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identity, ignoreElements, lastValueFrom, NEVER, of, toArray } from 'rxjs';
import { Behavior, defineHookBehavior, isHookBehavior, type BehaviorContext, type Message } from '../../lib/index.js';
import { silentLogger } from '../../lib/log.js';
import { createRng } from '../../lib/rng.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { startTestProxy } from '../helpers/proxy.js';
import { startEchoServer } from '../helpers/sockets.js';
import { connect } from 'node:net';

const message = (text: string, direction: 'request' | 'response' = 'request'): Message => ({
  bytes: Buffer.from(text),
  direction,
  exchange: 1,
  first: true,
  last: true,
});

function contextFor(direction: 'request' | 'response', replies: Buffer[] = []): BehaviorContext<{ tag: string }> {
  return {
    direction,
    exchange: 1,
    opener: 'request',
    options: { tag: '!' },
    protocol: tcp,
    connection: { reply: (bytes) => void replies.push(bytes), closeClient() {}, closeBoth() {}, reset() {} },
    rng: createRng(1),
    log: silentLogger,
    exchangesSoFar: 0,
    discard: ignoreElements(),
    takenOut: NEVER,
  };
}

async function run(definition: ReturnType<typeof defineHookBehavior<{ tag: string }>>, input: Message, direction: 'request' | 'response' = 'request'): Promise<string[]> {
  const out = await lastValueFrom(of(input).pipe(definition.operator(contextFor(direction)), toArray()));
  return out.map((item) => item.bytes.toString());
}

test('onBeforeHandle: true or nothing forwards, false drops, a Buffer or Message replaces; promises are awaited', async () => {
  const verdicts: Record<string, unknown> = {
    keep: true,
    nothing: undefined,
    drop: false,
    buffer: Buffer.from('replaced'),
    message: message('a whole message'),
  };
  for (const [word, verdict] of Object.entries(verdicts)) {
    for (const asPromise of [false, true]) {
      const behavior = defineHookBehavior<{ tag: string }>({
        name: 'verdicts',
        onBeforeHandle: () => (asPromise ? Promise.resolve(verdict as boolean) : (verdict as boolean)),
      });
      const expected = word === 'drop' ? [] : word === 'buffer' ? ['replaced'] : word === 'message' ? ['a whole message'] : ['original'];
      assert.deepEqual(await run(behavior, message('original')), expected, `${word}${asPromise ? ' (promise)' : ''}`);
    }
  }
});

test('hooks see the context: direction as toBackend, options, protocol, connection; onAfterHandle follows forwarding', async () => {
  const calls: string[] = [];
  const replies: Buffer[] = [];
  const behavior = defineHookBehavior<{ tag: string }>({
    name: 'context-check',
    options: { tag: { type: 'string', default: '?', description: 'tag' } },
    onBeforeHandle(input, context) {
      calls.push(`before ${context.toBackend ? 'to-backend' : 'to-client'} ${context.options.tag} ${context.protocol.name}`);
      if (input.bytes.toString() === 'answer-me') {
        context.connection.reply(Buffer.from('answered by the hook'));
        return false;
      }
      return true;
    },
    onAfterHandle(output, context) {
      calls.push(`after ${output.bytes.toString()} ${context.direction}`);
    },
  });
  const operator = behavior.operator(contextFor('request', replies));
  const out = await lastValueFrom(of(message('hello'), message('answer-me')).pipe(operator, toArray()));
  assert.deepEqual(out.map((item) => item.bytes.toString()), ['hello']);
  assert.deepEqual(replies.map(String), ['answered by the hook']);
  assert.deepEqual(calls, ['before to-backend ! tcp', 'after hello request', 'before to-backend ! tcp']);
  await lastValueFrom(of(message('back', 'response')).pipe(behavior.operator(contextFor('response')), toArray()));
  assert.equal(calls.at(-2), 'before to-client ! tcp');
});

test('a hook that throws fails its connection only; the proxy keeps serving others', async (t) => {
  Behavior.register(
    defineHookBehavior({
      name: 'explodes-on-boom',
      onBeforeHandle: (input) => {
        if (input.bytes.includes('boom')) throw new Error('plugin bug');
        return true;
      },
    }),
  );
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'explodes-on-boom' });
  const talk = (text: string): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(text));
      let got = '';
      socket.on('data', (data: Buffer) => {
        got += data.toString();
        if (got.length >= text.length) socket.end();
      });
      socket.on('close', () => resolve(got));
      socket.on('error', () => {});
    });
  assert.equal(await talk('boom'), '', 'the failing connection was closed without an answer');
  assert.equal(await talk('fine'), 'fine');
});

test('defineHookBehavior with no hooks passes messages through as identity; isHookBehavior tells the styles apart', async () => {
  const none = defineHookBehavior({ name: 'nothing' });
  assert.equal(none.description, 'nothing (hook-style plugin)');
  assert.equal(none.operator(contextFor('request')), identity, 'the stage keeps its fast path');
  assert.equal(isHookBehavior({ name: 'x', onBeforeHandle: () => true }), true);
  assert.equal(isHookBehavior({ name: 'x', operator: () => (source: unknown) => source, onBeforeHandle: () => true }), false);
  assert.equal(isHookBehavior({ name: 'x' }), false);
  assert.equal(isHookBehavior(null), false);
});
