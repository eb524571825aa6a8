// The redis framers against the engine's real exchange ledger: what messages, exchanges and
// infos a stream of commands and replies becomes, whatever the chunking, and that bad bytes
// never throw. Requests are "forwarded" the way the request writer does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Message } from '../../lib/contract/message.js';
import { defaultsOf } from '../../lib/contract/options.js';
import type { Framer } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { ExchangeLedger } from '../../lib/pipeline/exchanges.js';
import { redis } from '../../plugins/protocols/redis.js';

interface Harness {
  readonly request: Framer;
  readonly response: Framer;
  readonly warnings: string[];
  /** Frames client bytes and forwards each new exchange, as the request writer does. */
  send(...chunks: Array<string | Buffer>): Message[];
  /** Frames server bytes. */
  receive(...chunks: Array<string | Buffer>): Message[];
}

function createHarness(): Harness {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warning: (line) => warnings.push(line) };
  const ledger = new ExchangeLedger(
    'ordered',
    {
      choose: () => undefined,
      contextFor: () => {
        throw new Error('no behavior in framing tests');
      },
      countFault: () => {},
    },
    log,
  );
  const options = defaultsOf(redis.options);
  const { request, response } = redis.createFramers(options, ledger.framerContext());
  let lastForwarded = 0;
  const run = (framer: Framer, chunks: Array<string | Buffer>, onMessage: (message: Message) => void): Message[] => {
    const out: Message[] = [];
    for (const chunk of chunks) {
      for (const message of framer.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk)) {
        onMessage(message);
        out.push(message);
      }
    }
    return out;
  };
  return {
    request,
    response,
    warnings,
    send: (...chunks) =>
      run(request, chunks, (message) => {
        if (message.exchange !== 0 && message.exchange !== lastForwarded) {
          lastForwarded = message.exchange;
          if (message.noReply !== true) ledger.noteForwarded(message.exchange, message.info);
        }
      }),
    receive: (...chunks) => run(response, chunks, () => {}),
  };
}

/** A whole side of an exchange (or one push): its pieces joined, checked to be marked consistently. */
interface Unit {
  readonly exchange: number;
  readonly text: string;
  readonly first: boolean;
  readonly last: boolean;
  readonly command?: string | number | boolean | undefined;
}

function units(messages: readonly Message[]): Unit[] {
  const out: Unit[] = [];
  let pieces: Message[] = [];
  const flush = (): void => {
    const head = pieces[0];
    if (head === undefined) return;
    pieces.slice(1).forEach((piece) => {
      assert.equal(piece.exchange, head.exchange, 'a value changed exchange midway');
      assert.equal(piece.first, false, 'only the first piece of a value is `first`');
    });
    pieces.slice(0, -1).forEach((piece) => assert.equal(piece.last, false, 'only the final piece is `last`'));
    const tail = pieces[pieces.length - 1] as Message;
    out.push({
      exchange: head.exchange,
      text: Buffer.concat(pieces.map((piece) => piece.bytes)).toString('latin1'),
      first: head.first,
      last: tail.last,
      command: head.info?.['command'],
    });
    pieces = [];
  };
  for (const message of messages) {
    if (pieces.length > 0 && (pieces[0] as Message).exchange !== message.exchange) flush();
    pieces.push(message);
    if (message.last) flush();
  }
  flush();
  return out;
}

const joined = (messages: readonly Message[]): string => Buffer.concat(messages.map((message) => message.bytes)).toString('latin1');
const cmd = (...args: string[]): string => `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`).join('')}`;
const bulk = (text: string): string => `$${Buffer.byteLength(text, 'latin1')}\r\n${text}\r\n`;
const array = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;
const push = (...items: string[]): string => `>${items.length}\r\n${items.join('')}`;
const brief = (list: readonly Unit[]): Array<[number, string]> => list.map((unit) => [unit.exchange, unit.text]);

/** Splits `data` at the given cut points (any order, duplicates allowed). */
function split(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    if (point > from) chunks.push(data.subarray(from, point));
    from = Math.max(from, point);
  }
  if (from < data.length) chunks.push(data.subarray(from));
  return chunks;
}

test('pipelined commands become one exchange each, in order, named by their upper-cased command', () => {
  const h = createHarness();
  const messages = h.send(cmd('set', 'k1', 'v1') + cmd('GET', 'k1') + 'PING\r\n' + 'echo "hello world"\r\n' + cmd('incr', 'n'));
  assert.deepEqual(
    messages.map((m) => [m.exchange, m.first, m.last, m.info?.['command']]),
    [
      [1, true, true, 'SET'],
      [2, true, true, 'GET'],
      [3, true, true, 'PING'],
      [4, true, true, 'ECHO'],
      [5, true, true, 'INCR'],
    ],
  );
  assert.equal(joined(messages), cmd('set', 'k1', 'v1') + cmd('GET', 'k1') + 'PING\r\n' + 'echo "hello world"\r\n' + cmd('incr', 'n'));
  const replies = h.receive('+OK\r\n$2\r\nv1\r\n+PONG\r\n$11\r\nhello world\r\n:1\r\n');
  assert.deepEqual(brief(units(replies)), [
    [1, '+OK\r\n'],
    [2, '$2\r\nv1\r\n'],
    [3, '+PONG\r\n'],
    [4, '$11\r\nhello world\r\n'],
    [5, ':1\r\n'],
  ]);
  assert.ok(replies.every((m) => m.first && m.last));
});

test('empty commands (*0, a blank line) get no reply from redis and stay outside exchanges', () => {
  const h = createHarness();
  const messages = h.send('*0\r\n\r\n' + cmd('PING'));
  assert.deepEqual(
    messages.map((m) => m.exchange),
    [0, 0, 1],
  );
  assert.deepEqual(brief(units(h.receive('+PONG\r\n'))), [[1, '+PONG\r\n']]);
});

test('every RESP3 reply type is one answer; attributes travel with the reply after them; pushes are exchange 0', () => {
  const h = createHarness();
  const replies = [
    '%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n', // HELLO 3
    '_\r\n',
    '#t\r\n',
    ',3.141\r\n',
    '(1234567999999999999999999999999999999\r\n',
    '!21\r\nSYNTAX invalid syntax\r\n',
    '=15\r\ntxt:Some string\r\n',
    '~3\r\n:1\r\n:2\r\n:3\r\n',
    '|1\r\n+key-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$5\r\nreply\r\n',
    '*3\r\n*2\r\n:1\r\n%1\r\n+a\r\n~1\r\n_\r\n$-1\r\n*-1\r\n',
    '$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n',
    '*?\r\n:1\r\n*?\r\n.\r\n.\r\n',
    '-ERR unknown command\r\n',
  ];
  h.send(...replies.map((_, i) => cmd(i === 0 ? 'HELLO' : 'CMD', String(i))));
  const pushed = push(bulk('invalidate'), array(bulk('k')));
  const got = units(h.receive(replies[0] + pushed + replies.slice(1).join('') + pushed));
  assert.deepEqual(brief(got), [[1, replies[0] as string], [0, pushed], ...replies.slice(1).map((reply, i): [number, string] => [i + 2, reply]), [0, pushed]]);
});

test('MULTI/EXEC: each command is its own exchange, QUEUED replies and the EXEC array pair normally', () => {
  const h = createHarness();
  const sent = h.send(cmd('MULTI') + cmd('SET', 'a', '1') + cmd('INCR', 'a') + cmd('EXEC'));
  assert.deepEqual(
    sent.map((m) => [m.exchange, m.info?.['command']]),
    [
      [1, 'MULTI'],
      [2, 'SET'],
      [3, 'INCR'],
      [4, 'EXEC'],
    ],
  );
  const exec = '*2\r\n+OK\r\n:2\r\n';
  assert.deepEqual(brief(units(h.receive('+OK\r\n+QUEUED\r\n+QUEUED\r\n' + exec))), [
    [1, '+OK\r\n'],
    [2, '+QUEUED\r\n'],
    [3, '+QUEUED\r\n'],
    [4, exec],
  ]);
});

const confirm = (kind: string, channel: string | null, count: number): string => array(bulk(kind), channel === null ? '$-1\r\n' : bulk(channel), `:${count}\r\n`);
const message = (channel: string, payload: string): string => array(bulk('message'), bulk(channel), bulk(payload));

test('RESP2 pub/sub: k confirmations answer a k-channel SUBSCRIBE (last on the k-th); messages are exchange 0', () => {
  const h = createHarness();
  const sent = h.send(cmd('SUBSCRIBE', 'a', 'b', 'c'));
  assert.deepEqual(sent[0]?.info, { command: 'SUBSCRIBE', channels: 3 });
  const first = h.receive(confirm('subscribe', 'a', 1) + confirm('subscribe', 'b', 2));
  assert.deepEqual(
    first.map((m) => [m.exchange, m.first, m.last]),
    [
      [1, true, false],
      [1, false, false],
    ],
  );
  const rest = h.receive(confirm('subscribe', 'c', 3) + message('a', 'hello') + array(bulk('pmessage'), bulk('p*'), bulk('pa'), bulk('x')));
  assert.deepEqual(
    rest.map((m) => [m.exchange, m.first, m.last]),
    [
      [1, false, true],
      [0, true, true],
      [0, true, true],
    ],
  );
  // PING in subscribed mode answers with an array: it is PING's answer, not a push.
  h.send(cmd('PING') + cmd('PSUBSCRIBE', 'p*') + cmd('UNSUBSCRIBE'));
  const after = units(
    h.receive(
      array(bulk('pong'), bulk('')) +
        message('b', 'between') +
        confirm('psubscribe', 'p*', 4) +
        // UNSUBSCRIBE without arguments: one confirmation per subscribed channel (3 here).
        confirm('unsubscribe', 'a', 3) +
        confirm('unsubscribe', 'b', 2) +
        confirm('unsubscribe', 'c', 1),
    ),
  );
  assert.deepEqual(
    after.map((u) => [u.exchange, u.first, u.last]),
    [
      [2, true, true],
      [0, true, true],
      [3, true, true],
      [4, true, true], // the three confirmations, joined into one unit: first on the 1st, last on the 3rd
    ],
  );
  // Still subscribed to a pattern: messages stay pushes; the next command pairs normally.
  h.send(cmd('PUNSUBSCRIBE'));
  assert.deepEqual(
    units(h.receive(array(bulk('pmessage'), bulk('p*'), bulk('pq'), bulk('y')) + confirm('punsubscribe', 'p*', 0))).map((u) => u.exchange),
    [0, 5],
  );
  // Unsubscribed: an array that looks like a message is an ordinary answer again.
  h.send(cmd('LRANGE', 'l', '0', '-1'));
  assert.deepEqual(brief(units(h.receive(message('x', 'y')))), [[6, message('x', 'y')]]);
});

test('fewer confirmations than channels: the next plain reply first closes the (un)subscribe, then answers its own command', () => {
  const h = createHarness();
  h.send(cmd('SUBSCRIBE', 'a', 'b', 'c') + cmd('PING') + cmd('GET', 'k'));
  const got = h.receive(confirm('subscribe', 'a', 1) + confirm('subscribe', 'b', 2) + '-ERR cut short\r\n' + bulk('v'));
  assert.deepEqual(
    got.map((m) => [m.exchange, m.first, m.last, m.bytes.toString('latin1')]),
    [
      [1, true, false, confirm('subscribe', 'a', 1)],
      [1, false, false, confirm('subscribe', 'b', 2)],
      [1, false, true, ''], // the empty closing message: nothing more will answer SUBSCRIBE
      [2, true, true, '-ERR cut short\r\n'],
      [3, true, true, bulk('v')],
    ],
  );
});

test('RESP3 pub/sub: confirmations are pushes that answer their (un)subscribe; other pushes are exchange 0', () => {
  const h = createHarness();
  h.send(cmd('HELLO', '3') + cmd('SUBSCRIBE', 'a', 'b') + cmd('LRANGE', 'l', '0', '-1') + cmd('UNSUBSCRIBE', 'zz'));
  const pconfirm = (kind: string, channel: string, count: number): string => push(bulk(kind), bulk(channel), `:${count}\r\n`);
  const pmessage = push(bulk('message'), bulk('a'), bulk('hi'));
  const got = units(
    h.receive(
      '%1\r\n+proto\r\n:3\r\n' +
        pconfirm('subscribe', 'a', 1) +
        pconfirm('subscribe', 'b', 2) +
        pmessage +
        // In RESP3 an array is never a push, even one shaped like a message.
        message('x', 'y') +
        pmessage +
        pconfirm('unsubscribe', 'zz', 2),
    ),
  );
  assert.deepEqual(
    got.map((u) => [u.exchange, u.last]),
    [
      [1, true],
      [2, true],
      [0, true],
      [3, true],
      [0, true],
      [4, true],
    ],
  );
});

test('a confirmation nobody waits for (SUBSCRIBE inside MULTI) is exchange 0 and shifts nothing', () => {
  const h = createHarness();
  h.send(cmd('MULTI') + cmd('SUBSCRIBE', 'a', 'b') + cmd('EXEC') + cmd('PING'));
  // What redis 7 sends: EXEC's array holds the first confirmation, the second one follows it.
  const got = units(h.receive('+OK\r\n+QUEUED\r\n' + array(confirm('subscribe', 'a', 1)) + confirm('subscribe', 'b', 2) + array(bulk('pong'), bulk(''))));
  assert.deepEqual(
    got.map((u) => u.exchange),
    [1, 2, 3, 0, 4],
  );
});

test('a 100 MB bulk value streams as views of its chunks, in both directions, holding nothing', () => {
  const size = 100 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const check = (messages: Message[], expectedBytes: number, chunks: Set<ArrayBufferLike>): void => {
    assert.ok(messages.length > 1000, `only ${messages.length} messages`);
    assert.equal(
      messages.reduce((sum, m) => sum + m.bytes.length, 0),
      expectedBytes,
    );
    assert.deepEqual(
      messages.map((m) => [m.first, m.last]).filter(([first, last]) => first === true || last === true),
      [
        [true, false],
        [false, true],
      ],
    );
    // Every piece is a view of the chunk it came in: the framer copied and kept nothing.
    assert.ok(messages.every((m) => chunks.has(m.bytes.buffer)));
    assert.ok(messages.every((m) => m.bytes.length <= chunk.length));
  };
  for (const direction of ['request', 'response'] as const) {
    const h = createHarness();
    const head = direction === 'request' ? Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${size}\r\n`) : Buffer.from(`$${size}\r\n`);
    if (direction === 'response') h.send(cmd('GET', 'big'));
    const feed = direction === 'request' ? h.send.bind(h) : h.receive.bind(h);
    const messages: Message[] = [];
    const buffers = new Set<ArrayBufferLike>([head.buffer, chunk.buffer]);
    messages.push(...feed(head));
    for (let sent = 0; sent < size; sent += chunk.length) messages.push(...feed(chunk));
    const tail = Buffer.from('\r\n');
    buffers.add(tail.buffer);
    messages.push(...feed(tail));
    check(messages, head.length + size + 2, buffers);
    assert.ok(messages.every((m) => m.exchange === 1));
    if (direction === 'request') assert.equal(messages[0]?.info?.['command'], 'SET');
  }
});

test('malformed bytes: one warning, the value in progress ends, the rest passes as exchange 0, never a throw', () => {
  const h = createHarness();
  const sent = h.send(cmd('GET', 'a') + '*2\r\n$3\r\nGET\r\n$x\r\n' + cmd('GET', 'b'), cmd('PING'));
  assert.deepEqual(
    sent.map((m) => [m.exchange, m.last]),
    [
      [1, true],
      [2, true],
      [0, true],
    ],
  );
  assert.equal(joined(sent), cmd('GET', 'a') + '*2\r\n$3\r\nGET\r\n$x\r\n' + cmd('GET', 'b') + cmd('PING'));
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0] as string, /not RESP/);
  // The server side keeps framing: replies still pair with the forwarded commands.
  assert.deepEqual(
    units(h.receive('$-1\r\n-ERR Protocol error\r\n')).map((u) => u.exchange),
    [1, 2],
  );
});

test('a server sending non-RESP closes the exchanges waiting for it, then passes bytes through', () => {
  const h = createHarness();
  h.send(cmd('GET', 'a') + cmd('GET', 'b') + cmd('GET', 'c'));
  const got = h.receive('$1\r\nx\r\n$1\r\ny!!', 'more');
  assert.deepEqual(
    got.map((m) => [m.exchange, m.first, m.last, m.bytes.toString('latin1')]),
    [
      [1, true, true, '$1\r\nx\r\n'],
      [2, true, true, '$1\r\ny!!'], // the reply in progress ends with the bytes that broke it
      [3, true, true, ''], // nothing will answer GET c: its exchange closes empty
      [0, true, true, 'more'],
    ],
  );
  assert.equal(h.warnings.length, 1);
});

// ---------------------------------------------------------------------------------------------
// Property tests: valid streams frame the same whatever the chunking; garbage never throws.

const text = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 :._-'.split('')), maxLength: 20 });
const bytesText = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

const scalar = fc.oneof(
  text.map((s) => `+${s}\r\n`),
  text.map((s) => `-ERR ${s}\r\n`),
  fc.integer().map((n) => `:${n}\r\n`),
  bytesText.map(bulk),
  fc.constant('$-1\r\n'),
  fc.constant('*-1\r\n'),
  fc.constant('_\r\n'),
  fc.boolean().map((b) => `#${b ? 't' : 'f'}\r\n`),
  fc.double({ noNaN: true }).map((d) => `,${d}\r\n`),
  fc.bigInt().map((n) => `(${n}\r\n`),
  bytesText.map((s) => `!${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`),
  bytesText.map((s) => `=${s.length + 4}\r\ntxt:${s}\r\n`),
  fc.array(bytesText.filter((s) => s.length > 0), { maxLength: 3 }).map((parts) => `$?\r\n${parts.map((p) => `;${p.length}\r\n${p}\r\n`).join('')};0\r\n`),
);

const { value: respValue } = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `*${items.length}\r\n${items.join('')}`),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `~${items.length}\r\n${items.join('')}`),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((pairs) => `%${pairs.length}\r\n${pairs.map(([k, v]) => k + v).join('')}`),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `*?\r\n${items.join('')}.\r\n`),
    fc.tuple(fc.array(fc.tuple(scalar, tie('value')), { minLength: 1, maxLength: 2 }), tie('value')).map(
      ([pairs, value]) => `|${pairs.length}\r\n${pairs.map(([k, v]) => k + v).join('')}${value}`,
    ),
  ),
}));

/** A reply stream: answers (one per command) with pushes between them. */
const replyStream = fc.array(fc.tuple(respValue, fc.option(fc.array(respValue, { maxLength: 2 }).map((items) => push(...items)), { freq: 4 })), {
  minLength: 1,
  maxLength: 12,
});

const commandStream = fc.array(
  fc.oneof(
    fc.array(bytesText, { minLength: 1, maxLength: 4 }).map((args) => cmd(...args)),
    fc.array(text.filter((s) => /\S/.test(s) && !s.includes('"') && !s.includes("'")), { minLength: 1, maxLength: 3 }).map((words) => `${words.join(' ')}\r\n`),
  ),
  { minLength: 1, maxLength: 12 },
);
const cuts = fc.array(fc.nat(), { maxLength: 30 });

test('property: any chunking of a valid RESP2/RESP3 reply stream gives the same answers, exchanges and bytes', () => {
  fc.assert(
    fc.property(replyStream, cuts, (stream, cutPoints) => {
      const data = Buffer.from(stream.map(([reply, pushed]) => (pushed ?? '') + reply).join(''), 'latin1');
      const frame = (chunks: Buffer[]): Message[] => {
        const h = createHarness();
        h.send(...stream.map((_, i) => cmd('GET', `k${i}`)));
        const out = h.receive(...chunks);
        out.push(...h.response.end());
        assert.deepEqual(h.warnings, []);
        return out;
      };
      const whole = frame([data]);
      const pieces = frame(split(data, cutPoints));
      assert.equal(joined(pieces), data.toString('latin1'));
      assert.deepEqual(units(pieces), units(whole));
      // Each answer has its command's exchange, in order; pushes are exchange 0.
      const expected = stream.flatMap(([reply, pushed], i): Array<[number, string]> => [...(pushed === null ? [] : [[0, pushed] as [number, string]]), [i + 1, reply]]);
      assert.deepEqual(brief(units(whole)), expected);
    }),
    { numRuns: 300 },
  );
});

test('property: any chunking of a pipelined command stream gives the same commands and bytes', () => {
  fc.assert(
    fc.property(commandStream, cuts, (commands, cutPoints) => {
      const data = Buffer.from(commands.join(''), 'latin1');
      const frame = (chunks: Buffer[]): Message[] => {
        const h = createHarness();
        const out = h.send(...chunks);
        out.push(...h.request.end());
        assert.deepEqual(h.warnings, []);
        return out;
      };
      const whole = frame([data]);
      const pieces = frame(split(data, cutPoints));
      assert.equal(joined(pieces), data.toString('latin1'));
      assert.deepEqual(units(pieces), units(whole));
      assert.deepEqual(
        units(whole).map((u) => [u.exchange, u.text, u.last]),
        commands.map((c, i) => [i + 1, c, true]),
      );
    }),
    { numRuns: 300 },
  );
});

test('property: any chunking of a pub/sub session (RESP2 or RESP3) pairs confirmations and leaves pushes outside', () => {
  const session = fc.record({
    resp3: fc.boolean(),
    channels: fc.array(text.filter((s) => s.length > 0), { minLength: 1, maxLength: 4 }),
    before: fc.array(bytesText, { maxLength: 3 }),
    after: fc.array(bytesText, { maxLength: 3 }),
  });
  fc.assert(
    fc.property(session, cuts, ({ resp3, channels, before, after }, cutPoints) => {
      const wrap = (...items: string[]): string => (resp3 ? push(...items) : array(...items));
      const pubsubMessage = (payload: string): string => wrap(bulk('message'), bulk(channels[0] as string), bulk(payload));
      const commands = [...(resp3 ? [cmd('HELLO', '3')] : []), cmd('SUBSCRIBE', ...channels), cmd('PING'), cmd('UNSUBSCRIBE')];
      const hello = resp3 ? [['%1\r\n+proto\r\n:3\r\n']] : [];
      const answers: string[][] = [
        ...hello,
        channels.map((channel, i) => wrap(bulk('subscribe'), bulk(channel), `:${i + 1}\r\n`)),
        [resp3 ? '+PONG\r\n' : array(bulk('pong'), bulk(''))],
        channels.map((channel, i) => wrap(bulk('unsubscribe'), bulk(channel), `:${channels.length - i - 1}\r\n`)),
      ];
      // Messages arrive before PING's answer and before the unsubscribe confirmations.
      const at = hello.length;
      const stream = [...answers.slice(0, at + 1), before.map(pubsubMessage), answers[at + 1], after.map(pubsubMessage), answers[at + 2]] as string[][];
      const data = Buffer.from(stream.flat().join(''), 'latin1');
      const frame = (chunks: Buffer[]): Unit[] => {
        const h = createHarness();
        h.send(...commands);
        const out = h.receive(...chunks);
        assert.deepEqual(h.warnings, []);
        return units(out);
      };
      const whole = frame([data]);
      assert.deepEqual(frame(split(data, cutPoints)), whole);
      const n = hello.length;
      const expected = [...(resp3 ? [1] : []), n + 1, ...before.map(() => 0), n + 2, ...after.map(() => 0), n + 3];
      assert.deepEqual(
        whole.map((u) => u.exchange),
        expected,
      );
      assert.ok(whole.every((u) => u.last));
    }),
    { numRuns: 300 },
  );
});

test('property: random garbage (or damaged RESP) never throws and every byte still goes through', () => {
  const damaged = fc.tuple(replyStream, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([stream, edits]) => {
    const bytes = Buffer.from(stream.map(([reply]) => reply).join(''), 'latin1');
    for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
    return bytes;
  });
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    damaged,
  );
  fc.assert(
    fc.property(input, cuts, (data, cutPoints) => {
      for (const direction of ['request', 'response'] as const) {
        const h = createHarness();
        const framer = direction === 'request' ? h.request : h.response;
        if (direction === 'response') h.send(cmd('GET', 'a'), cmd('GET', 'b'));
        const out: Message[] = [];
        for (const chunk of split(data, cutPoints)) out.push(...framer.push(chunk));
        out.push(...framer.end());
        assert.equal(joined(out), data.toString('latin1'));
        assert.ok(h.warnings.length <= 1);
      }
    }),
    { numRuns: 500 },
  );
});
