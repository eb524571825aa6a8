// The memcache framers on their own: any valid session (classic and meta commands, noreply,
// quiet batches closed by mn), cut into chunks anywhere, frames into the same requests and
// answers, paired with the right exchanges, byte-exact; data blocks stream in ≤ buffer slices;
// garbage never throws; a binary-protocol connection passes raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction, Message } from '../../lib/contract/message.js';
import type { OptionValues } from '../../lib/contract/options.js';
import type { FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { createRng } from '../../lib/rng.js';
import { memcache } from '../../plugins/protocols/memcache.js';
import { frameChunks, frameConnection as frameConnectionOf, framingHarness, harnessFramers, splitAt, type Framed, type FramingHarness } from '../helpers/framing.js';

// ---------- a connection's two framers, driven by hand ----------

const options = (buffer: number): OptionValues => ({ buffer, keep_alive: false, reuse_socket: false });
const harness = framingHarness;
const frame = (h: FramingHarness, direction: Direction, chunks: readonly Buffer[], buffer: number): Framed => frameChunks(memcache, h, direction, chunks, options(buffer));
const frameConnection = (requests: readonly Buffer[], responses: readonly Buffer[], buffer: number): { request: Framed; response: Framed } =>
  frameConnectionOf(memcache, requests, responses, options(buffer));

const concat = (messages: readonly Message[]): Buffer => Buffer.concat(messages.map((message) => message.bytes));
const text = (line: string): Buffer => Buffer.from(`${line}\r\n`, 'latin1');
const WHOLE = 1 << 30; // a buffer so large that the whole-stream framing never slices a block

/** Each message of `chunked` lies inside one message of `reference` (lines are never split, blocks may be). */
function assertRefines(reference: readonly Message[], chunked: readonly Message[], where: string): void {
  let next = 0;
  reference.forEach((whole, index) => {
    const group: Message[] = [];
    let length = 0;
    while (length < whole.bytes.length && next < chunked.length) {
      const part = chunked[next++] as Message;
      group.push(part);
      length += part.bytes.length;
    }
    const at = `${where} message ${index} (${JSON.stringify(whole.bytes.toString('latin1').slice(0, 40))})`;
    assert.equal(length, whole.bytes.length, `${at}: boundaries differ`);
    assert.ok(group.every((part) => part.exchange === whole.exchange), `${at}: exchange differs`);
    assert.equal(group[0]?.first, whole.first, `${at}: first`);
    assert.equal(group.at(-1)?.last, whole.last, `${at}: last`);
    assert.ok(group.slice(1).every((part) => !part.first) && group.slice(0, -1).every((part) => !part.last), `${at}: first/last inside a slice`);
  });
  assert.equal(next, chunked.length, `${where}: extra messages`);
}

// ---------- a model of memcached sessions ----------

interface Step {
  readonly request: Buffer;
  readonly command: string;
  /** What memcached answers; undefined when nothing comes (noreply, a silent quiet command). */
  readonly answer: Buffer | undefined;
  /** The request's messages say no answer is awaited (noreply, quit, quiet). */
  readonly noReply: boolean;
  readonly quiet: boolean;
}

const key = fc.stringMatching(/^[a-z0-9_:.-]{1,16}$/);
const data = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 2000, maxLength: 6000 }) },
).map((array) => Buffer.from(array));
const withData = (line: string, block: Buffer): Buffer => Buffer.concat([text(line), block, text('')]);
const plain = (request: string, command: string, answer: string | undefined, noReply = false): Step => ({
  request: text(request),
  command,
  answer: answer === undefined ? undefined : text(answer),
  noReply,
  quiet: false,
});

const storage: fc.Arbitrary<Step> = fc
  .record({
    command: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend', 'cas'),
    key,
    flags: fc.nat(2 ** 32 - 1),
    exptime: fc.integer({ min: -1, max: 100_000 }),
    block: data,
    cas: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
    noreply: fc.boolean(),
    answer: fc.constantFrom('STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'SERVER_ERROR out of memory storing object'),
  })
  .map(({ command, key, flags, exptime, block, cas, noreply, answer }) => ({
    request: withData(`${command} ${key} ${flags} ${exptime} ${block.length}${command === 'cas' ? ` ${cas}` : ''}${noreply ? ' noreply' : ''}`, block),
    command,
    answer: noreply ? undefined : text(answer),
    noReply: noreply,
    quiet: false,
  }));

const item = fc.record({ key, flags: fc.nat(65535), block: data, cas: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }) });
const retrieval: fc.Arbitrary<Step> = fc
  .record({
    command: fc.constantFrom('get', 'gets', 'gat', 'gats'),
    keys: fc.array(key, { minLength: 1, maxLength: 4 }),
    items: fc.array(item, { maxLength: 3 }),
    end: fc.constantFrom('END', 'END', 'SERVER_ERROR out of memory writing get response'),
  })
  .map(({ command, keys, items, end }) => {
    const withCas = command === 'gets' || command === 'gats';
    const answer = [
      ...items.map(({ key, flags, block, cas }) => withData(`VALUE ${key} ${flags} ${block.length}${withCas ? ` ${cas}` : ''}`, block)),
      text(end),
    ];
    return { request: text(`${command}${command.startsWith('gat') ? ' 300' : ''} ${keys.join(' ')}`), command, answer: Buffer.concat(answer), noReply: false, quiet: false };
  });

const simple: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(key, fc.boolean(), fc.constantFrom('DELETED', 'NOT_FOUND')).map(([k, q, a]) => plain(`delete ${k}${q ? ' noreply' : ''}`, 'delete', q ? undefined : a, q)),
  fc.tuple(fc.constantFrom('incr', 'decr'), key, fc.nat(), fc.boolean(), fc.constantFrom('7', 'NOT_FOUND', 'CLIENT_ERROR cannot increment or decrement non-numeric value')).map(
    ([c, k, n, q, a]) => plain(`${c} ${k} ${n}${q ? ' noreply' : ''}`, c, q ? undefined : a, q),
  ),
  fc.tuple(key, fc.boolean(), fc.constantFrom('TOUCHED', 'NOT_FOUND')).map(([k, q, a]) => plain(`touch ${k} 10${q ? ' noreply' : ''}`, 'touch', q ? undefined : a, q)),
  fc.boolean().map((q) => plain(`flush_all${q ? ' noreply' : ''}`, 'flush_all', q ? undefined : 'OK', q)),
  fc.boolean().map((q) => plain(`verbosity 1${q ? ' noreply' : ''}`, 'verbosity', q ? undefined : 'OK', q)),
  fc.constant(plain('version', 'version', 'VERSION 1.6.18')),
  fc.constant(plain('bogus command', 'bogus', 'ERROR')),
  fc.constant(plain('', '', 'ERROR')),
  // refused before its block is read: the block is then read as a command of its own
  fc.constant(plain('set k 0 0 xx', 'set', 'CLIENT_ERROR bad command line format')),
  fc.constant(plain('cas k 0 0 3', 'cas', 'ERROR')),
);

const statLines = fc.array(fc.tuple(fc.stringMatching(/^[a-z_:0-9]{1,12}$/), fc.stringMatching(/^[a-z0-9.]{1,10}$/)), { maxLength: 6 });
const stats: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(fc.constantFrom('stats', 'stats slabs', 'stats items', 'stats settings', 'stats sizes', 'stats conns'), statLines).map(([request, lines]) =>
    plain(request, 'stats', [...lines.map(([name, value]) => `STAT ${name} ${value}`), 'END'].join('\r\n')),
  ),
  fc.constant(plain('stats reset', 'stats', 'RESET')),
  fc.constant(plain('stats detail on', 'stats', 'OK')),
  fc.array(key, { maxLength: 3 }).map((prefixes) => plain('stats detail dump', 'stats', [...prefixes.map((p) => `PREFIX ${p} get 1 hit 0 set 2 del 0`), 'END'].join('\r\n'))),
  fc.array(key, { maxLength: 3 }).map((keys) => plain('stats cachedump 1 10', 'stats', [...keys.map((k) => `ITEM ${k} [3 b; 0 s]`), 'END'].join('\r\n'))),
  fc.array(key, { maxLength: 3 }).map((keys) => ({
    ...plain('lru_crawler metadump all', 'lru_crawler', undefined),
    answer: Buffer.from(`${keys.map((k) => `key=${k} exp=-1 la=1 cas=2 fetch=no cls=1 size=63\n`).join('')}END\r\n`),
  })),
);

/** Flags a meta answer echoes: O(opaque) and k(key) when the request asked for them. */
const echo = (opaque: number | undefined, withKey: boolean, k: string): string => `${withKey ? ` k${k}` : ''}${opaque === undefined ? '' : ` O${opaque}`}`;
const metaBase = fc.record({ key, quiet: fc.boolean(), opaque: fc.option(fc.nat(99_999), { nil: undefined }), withKey: fc.boolean() });
const metaFlags = ({ quiet, opaque, withKey }: { quiet: boolean; opaque: number | undefined; withKey: boolean }): string =>
  `${withKey ? ' k' : ''}${opaque === undefined ? '' : ` O${opaque}`}${quiet ? ' q' : ''}`;
const meta: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(metaBase, fc.constantFrom('value', 'hit', 'miss', 'error'), data).map(([m, outcome, block]) => {
    const echoed = echo(m.opaque, m.withKey, m.key);
    const answer =
      outcome === 'value'
        ? withData(`VA ${block.length}${echoed}`, block)
        : outcome === 'hit'
          ? text(`HD${echoed}`)
          : outcome === 'miss'
            ? m.quiet
              ? undefined
              : text(`EN`)
            : text('CLIENT_ERROR bad command line format');
    return { request: text(`mg ${m.key}${outcome === 'value' ? ' v' : ''}${metaFlags(m)}`), command: 'mg', answer, noReply: m.quiet, quiet: m.quiet };
  }),
  fc.tuple(metaBase, fc.constantFrom('HD', 'NS', 'EX', 'NF'), data).map(([m, outcome, block]) => ({
    request: withData(`ms ${m.key} ${block.length} T0${metaFlags(m)}`, block),
    command: 'ms',
    answer: m.quiet && outcome === 'HD' ? undefined : text(`${outcome}${echo(m.opaque, m.withKey, m.key)}`),
    noReply: m.quiet,
    quiet: m.quiet,
  })),
  fc.tuple(metaBase, fc.constantFrom('HD', 'NF', 'EX')).map(([m, outcome]) => ({
    request: text(`md ${m.key}${metaFlags(m)}`),
    command: 'md',
    answer: m.quiet && outcome === 'HD' ? undefined : text(`${outcome}${echo(m.opaque, m.withKey, m.key)}`),
    noReply: m.quiet,
    quiet: m.quiet,
  })),
  fc.tuple(metaBase, fc.constantFrom('HD', 'VA', 'NF')).map(([m, outcome]) => ({
    request: text(`ma ${m.key}${outcome === 'VA' ? ' v' : ''}${metaFlags(m)}`),
    command: 'ma',
    answer:
      m.quiet && outcome !== 'NF'
        ? undefined
        : outcome === 'VA'
          ? withData(`VA 2${echo(m.opaque, m.withKey, m.key)}`, Buffer.from('42'))
          : text(`${outcome}${echo(m.opaque, m.withKey, m.key)}`),
    noReply: m.quiet,
    quiet: m.quiet,
  })),
  fc.tuple(key, fc.boolean()).map(([k, hit]) => plain(`me ${k}`, 'me', hit ? `ME ${k} exp=-1 la=3 cas=2 fetch=no cls=1 size=63` : 'EN')),
  fc.constant(plain('mn', 'mn', 'MN')),
);

const MN = plain('mn', 'mn', 'MN');
/** Quiet commands are closed by `mn` before the next command that expects an answer, as clients do. */
function closeQuietBatches(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  let open = false;
  for (const step of steps) {
    if (!step.quiet && !step.noReply && open && step.command !== 'mn') out.push(MN);
    if (step.quiet) open = true;
    else if (!step.noReply) open = false;
    out.push(step);
  }
  return out;
}

const session = fc
  .array(fc.oneof({ weight: 3, arbitrary: storage }, { weight: 3, arbitrary: retrieval }, simple, stats, { weight: 4, arbitrary: meta }), {
    minLength: 1,
    maxLength: 12,
  })
  .map(closeQuietBatches);
const cuts = fc.array(fc.nat(), { maxLength: 25 });
const bufferSize = fc.integer({ min: 1, max: 4096 });

function checkSession(steps: readonly Step[], requestCuts: number[], responseCuts: number[], buffer: number): void {
  const requestBytes = Buffer.concat(steps.map((step) => step.request));
  const responseBytes = Buffer.concat(steps.flatMap((step) => (step.answer === undefined ? [] : [step.answer])));
  const whole = frameConnection([requestBytes], [responseBytes], WHOLE);
  const { request, response } = frameConnection(splitAt(requestBytes, requestCuts), splitAt(responseBytes, responseCuts), buffer);
  assert.deepEqual([...whole.request.warnings, ...request.warnings, ...whole.response.warnings, ...response.warnings], []);

  // requests: one exchange each, in order; byte-exact; flags and info right
  assert.ok(concat(request.messages).equals(requestBytes), 'request bytes changed');
  assertRefines(whole.request.messages, request.messages, 'request');
  steps.forEach((step, index) => {
    const group = request.messages.filter((message) => message.exchange === index + 1);
    const where = `request ${index + 1} (${step.command})`;
    assert.ok(concat(group).equals(step.request), `${where}: bytes`);
    assert.equal(group[0]?.info?.['command'], step.command, `${where}: info.command`);
    assert.ok(group.every((message) => (message.noReply === true) === step.noReply), `${where}: noReply`);
    assert.ok(group.slice(1).every((message) => message.bytes.length <= buffer), `${where}: a data slice is over ${buffer} bytes`);
  });

  // answers: each with its request's exchange; quiet ones outside any exchange; byte-exact
  assert.ok(concat(response.messages).equals(responseBytes), 'answer bytes changed');
  assertRefines(whole.response.messages, response.messages, 'answer');
  steps.forEach((step, index) => {
    const group = response.messages.filter((message) => message.exchange === index + 1);
    const where = `answer ${index + 1} (${step.command})`;
    if (step.answer === undefined || step.quiet) return assert.equal(group.length, 0, `${where}: unexpected answer`);
    assert.ok(concat(group).equals(step.answer), `${where}: bytes ${JSON.stringify(concat(group).toString('latin1').slice(0, 80))}`);
    assert.ok(group[0]?.first && group.at(-1)?.last, `${where}: first/last`);
  });
  const quietAnswers = Buffer.concat(steps.flatMap((step) => (step.quiet && step.answer !== undefined ? [step.answer] : [])));
  assert.ok(concat(response.messages.filter((message) => message.exchange === 0)).equals(quietAnswers), 'quiet answers');
}

test('any chunking of a valid session frames the same requests and answers, paired and byte-exact', () => {
  fc.assert(fc.property(session, cuts, cuts, bufferSize, checkSession), { numRuns: 300 });
});

/** [start, end) of each chunk `splitAt(bytes, cuts)` makes. */
function chunkSpans(bytes: Buffer, cuts: number[]): Array<[number, number]> {
  let at = 0;
  return splitAt(bytes, cuts).map((chunk) => {
    const span: [number, number] = [at, at + chunk.length];
    at += chunk.length;
    return span;
  });
}

function checkGathering(steps: readonly Step[], requestCuts: number[], responseCuts: number[], buffer: number): void {
  const requestBytes = Buffer.concat(steps.map((step) => step.request));
  const responseBytes = Buffer.concat(steps.flatMap((step) => (step.answer === undefined ? [] : [step.answer])));
  const { response } = frameConnection(splitAt(requestBytes, requestCuts), splitAt(responseBytes, responseCuts), buffer);
  assert.ok(concat(response.messages).equals(responseBytes), 'answer bytes changed');
  const spans = chunkSpans(responseBytes, responseCuts);
  let offset = 0;
  steps.forEach((step, index) => {
    if (step.answer === undefined) return;
    const [start, end] = [offset, offset + step.answer.length];
    offset = end;
    if (step.quiet) return;
    const exchange = index + 1;
    const where = `answer ${exchange} (${step.command})`;
    const group = response.messages.filter((message) => message.exchange === exchange);
    assert.ok(concat(group).equals(step.answer), `${where}: bytes`);
    assert.ok(group[0]?.first && group.at(-1)?.last, `${where}: first/last`);
    assert.ok(group.slice(1).every((part) => !part.first) && group.slice(0, -1).every((part) => !part.last), `${where}: first/last inside`);
    const touched = spans.filter(([from, to]) => from < end && to > start).length;
    // Per chunk, pieces are gathered next-fit: a message ends only when the next piece would
    // take it over `buffer`, so two neighbours that lie in the same chunk exceed it together.
    // (A line begun in the chunk before is a copy of its own, and spans two chunks.)
    const chunkOf = (from: number, to: number): number => spans.findIndex(([a, b]) => a <= from && to <= b);
    let at = start;
    const placed = group.map((message) => {
      const where_ = [at, at + message.bytes.length] as const;
      at += message.bytes.length;
      return { length: message.bytes.length, chunk: chunkOf(...where_) };
    });
    placed.slice(1).forEach((message, i) => {
      const before = placed[i] as (typeof placed)[number];
      if (message.chunk === -1 || message.chunk !== before.chunk) return;
      assert.ok(before.length + message.length > buffer, `${where}: messages of ${before.length} and ${message.length} bytes in one chunk were not gathered (buffer ${buffer})`);
    });
    if (touched === 1 && step.answer.length <= buffer) assert.equal(group.length, 1, `${where}: one message when it lies in one chunk`);
  });
}

test('an answer\'s pieces in one chunk are gathered next-fit into messages of up to `buffer` bytes (a line begun in the chunk before apart), whatever behavior is drawn', () => {
  fc.assert(fc.property(session, cuts, cuts, bufferSize, checkGathering), { numRuns: 300 });
});

// ---------- specific cases ----------

test('a quiet batch closed by mn: hits pass outside any exchange, MN answers the mn', () => {
  const requests = Buffer.from('mg a v q O1\r\nmg b v q O2\r\nms c 2 q\r\nhi\r\nmd d q\r\nmn\r\nget e\r\n');
  const answers = Buffer.from('VA 1 O2\r\nx\r\nNF\r\nMN\r\nEND\r\n');
  const { request, response } = frameConnection([requests], [answers], 2048);
  assert.deepEqual(
    request.messages.map((m) => [m.exchange, m.noReply === true, m.info?.['quiet'] ?? false]),
    [[1, true, true], [2, true, true], [3, true, true], [3, true, false], [4, true, true], [5, false, false], [6, false, false]],
  );
  assert.deepEqual(
    response.messages.map((m) => [m.bytes.toString(), m.exchange, m.first, m.last]),
    [
      ['VA 1 O2\r\n', 0, true, false],
      ['x\r\n', 0, false, true],
      ['NF\r\n', 0, true, true],
      ['MN\r\n', 5, true, true],
      ['END\r\n', 6, true, true],
    ],
  );
});

test('an answer with an opaque goes to its quiet request, one without to the next request', () => {
  const requests = Buffer.from('mg a v q O7\r\nmg b v\r\nmg c v q k\r\nmg d v\r\n');
  const answers = Buffer.from('VA 1 O7\r\nA\r\nVA 1\r\nB\r\nVA 1 kc\r\nC\r\nEN\r\n');
  const { response } = frameConnection([requests], [answers], 2048);
  assert.deepEqual(
    // The answer's first line (its lines in one chunk go out as one message).
    response.messages.filter((m) => m.first).map((m) => [`${m.bytes.toString().split('\r\n')[0]}\r\n`, m.exchange]),
    [
      ['VA 1 O7\r\n', 0],
      ['VA 1\r\n', 2],
      ['VA 1 kc\r\n', 0],
      ['EN\r\n', 4],
    ],
  );
});

test('MN closes, with an empty message, a request whose answer was taken for a quiet one', () => {
  // Without flags the VA is taken for the quiet mg's (a miss really); MN puts things back in step.
  const requests = Buffer.from('mg a v q\r\nmg b v\r\nmn\r\nversion\r\n');
  const answers = Buffer.from('VA 1\r\nB\r\nMN\r\nVERSION 1.6.18\r\n');
  const { response } = frameConnection([requests], [answers], 2048);
  assert.deepEqual(
    response.messages.map((m) => [m.bytes.toString(), m.exchange, m.first, m.last]),
    [
      ['VA 1\r\n', 0, true, false],
      ['B\r\n', 0, false, true],
      ['', 2, true, true],
      ['MN\r\n', 3, true, true],
      ['VERSION 1.6.18\r\n', 4, true, true],
    ],
  );
  assert.ok(concat(response.messages).equals(answers));
});

test('an MN nobody asked for closes nothing: answers stay paired in order', () => {
  const { response } = frameConnection([Buffer.from('get a\r\nget b\r\n')], [Buffer.from('MN\r\nEND\r\nEND\r\n')], 2048);
  assert.deepEqual(
    response.messages.map((m) => [m.bytes.toString(), m.exchange]),
    [
      ['MN\r\n', 1],
      ['END\r\n', 2],
      ['END\r\n', 0],
    ],
  );
});

test('a 5 MB value streams in slices of at most `buffer` bytes, none held back', () => {
  const value = Buffer.alloc(5 * 1024 * 1024, 0x61);
  const requestBytes = Buffer.concat([Buffer.from(`set big 0 0 ${value.length}\r\n`), value, Buffer.from('\r\nget big\r\n')]);
  const answerBytes = Buffer.concat([Buffer.from(`STORED\r\nVALUE big 0 ${value.length}\r\n`), value, Buffer.from('\r\nEND\r\n')]);
  const h = harness();
  const framers = harnessFramers(memcache, h, { buffer: 16384, keep_alive: false, reuse_socket: false });
  for (const [direction, input] of [['request', requestBytes], ['response', answerBytes]] as const) {
    const framer = framers[direction];
    const out: Message[] = [];
    for (const chunk of splitAt(input, Array.from({ length: 100 }, (_, i) => (i + 1) * 65536 - 7))) {
      const framed = [...framer.push(chunk)];
      // everything a chunk completes comes out at once: nothing of the value is kept back
      assert.equal(concat(framed).length, chunk.length, `${direction}: bytes of a chunk held back`);
      out.push(...framed);
    }
    assert.ok(out.every((m) => m.bytes.length <= 16384));
    assert.ok(concat(out).equals(input));
    if (direction === 'request') for (const m of out) if (m.first && m.noReply !== true) h.forwarded.push({ exchange: m.exchange, info: m.info });
    assert.deepEqual([...new Set(out.map((m) => m.exchange))], [1, 2]);
    assert.equal(out.filter((m) => m.last).length, 2);
  }
});

test('noreply and quit mark every message of their request', () => {
  const { request } = frameConnection([Buffer.from('set k 0 0 3 noreply\r\nabc\r\ndelete k noreply\r\nset k 0 0 noreply\r\nget k\r\nquit\r\n')], [], 2);
  assert.deepEqual(
    request.messages.map((m) => [m.exchange, m.noReply === true, m.info?.['command'] ?? '-']),
    [[1, true, 'set'], [1, true, '-'], [1, true, '-'], [1, true, '-'], [2, true, 'delete'], [3, true, 'set'], [4, false, 'get'], [5, true, 'quit']],
  );
});

test("a VALUE or VA line's block size is read wherever its token lies, and a bad one is malformed", () => {
  const block = 'abc\r\n';
  const framed = (line: string, command = 'get k'): Framed => frameConnection([text(command)], [Buffer.from(`${line}\r\n${block}END\r\n`)], WHOLE).response;
  for (const line of ['VALUE k 0 3', 'VALUE k 0 3 77', 'VALUE  k  0  3 ', 'VALUE k 0 0003']) {
    const { messages, warnings } = framed(line);
    assert.deepEqual(warnings, [], line);
    assert.deepEqual(messages.map((m) => [m.bytes.toString('latin1'), m.exchange, m.last]), [[`${line}\r\n${block}END\r\n`, 1, true]], line);
  }
  const va = framed('VA 3 f', 'mg k v f');
  assert.deepEqual([va.warnings, va.messages.map((m) => [m.bytes.toString('latin1'), m.exchange, m.last])], [[], [[`VA 3 f\r\n${block}`, 1, true], ['END\r\n', 0, true]]]);
  for (const line of ['VALUE k 0', 'VALUE k 0 3x', 'VALUE k 0 12345678901', 'VALUE k 0 -3', 'VA']) {
    const { messages, warnings } = framed(line);
    assert.equal(warnings.length, 1, line);
    assert.deepEqual(messages[0] && [messages[0].bytes.toString('latin1'), messages[0].exchange, messages[0].last], [`${line}\r\n`, 1, true], line);
  }
});

test('a malformed answer warns once and the rest passes raw, unchanged', () => {
  const answers = Buffer.from('VALUE k 0 zz\r\nabc\r\nEND\r\nSTORED\r\n');
  const { response } = frameConnection([Buffer.from('get k\r\nset a 0 0 1\r\nx\r\n')], [answers.subarray(0, 5), answers.subarray(5)], 2048);
  assert.equal(response.warnings.length, 1);
  assert.ok(concat(response.messages).equals(answers));
  assert.deepEqual(response.messages[0] && [response.messages[0].exchange, response.messages[0].last], [1, true]);
  assert.ok(response.messages.slice(1).every((m) => m.exchange === 0));
});

test('a request line longer than 8 MiB warns once and passes raw', () => {
  const long = Buffer.alloc(9 * 1024 * 1024, 0x61);
  const { request } = frameConnection([Buffer.from('version\r\n'), long, Buffer.from('\r\nversion\r\n')], [], 2048);
  assert.equal(request.warnings.length, 1);
  assert.equal(request.messages[0]?.exchange, 1);
  assert.ok(request.messages.slice(1).every((m) => m.exchange === 0));
  assert.equal(concat(request.messages).length, long.length + 20);
});

test('random garbage never throws and always comes out unchanged', () => {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.array(fc.constantFrom('VALUE ', 'VA ', 'get ', 'set k 0 0 ', 'ms k ', 'mg k q', 'mn', 'MN', 'END', 'STAT x', '5', '-1', ' ', '\r', '\n', '\r\n', 'O1', 'k'), { maxLength: 60 }).map(
      (parts) => Buffer.from(parts.join('')),
    ),
  ).map((bytes) => Buffer.from(bytes));
  fc.assert(
    fc.property(garbage, garbage, cuts, cuts, bufferSize, (requestBytes, responseBytes, requestCuts, responseCuts, buffer) => {
      const { request, response } = frameConnection(splitAt(requestBytes, requestCuts), splitAt(responseBytes, responseCuts), buffer);
      assert.ok(concat(request.messages).equals(requestBytes));
      assert.ok(concat(response.messages).equals(responseBytes));
      assert.ok(request.warnings.length <= 1 && response.warnings.length <= 1);
    }),
    { numRuns: 500 },
  );
});

test('a binary-protocol connection passes raw both ways, byte-exact, outside any exchange', () => {
  const packet = fc.uint8Array({ minLength: 24, maxLength: 400 }).map((bytes) => {
    const out = Buffer.from(bytes);
    out[0] = 0x80;
    return out;
  });
  fc.assert(
    fc.property(fc.array(packet, { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 2000 }), cuts, cuts, bufferSize, (packets, answer, requestCuts, responseCuts, buffer) => {
      const requestBytes = Buffer.concat(packets);
      const responseBytes = Buffer.from(answer);
      const { request, response } = frameConnection(splitAt(requestBytes, requestCuts), splitAt(responseBytes, responseCuts), buffer);
      for (const side of [request, response]) {
        assert.ok(side.messages.every((m) => m.exchange === 0 && m.bytes.length <= buffer));
        assert.deepEqual(side.warnings, []);
      }
      assert.ok(concat(request.messages).equals(requestBytes));
      assert.ok(concat(response.messages).equals(responseBytes));
    }),
  );
});

test('the error reply is SERVER_ERROR; silence for noreply; inject garbles one line and keeps its CRLF', () => {
  const rng = createRng(3);
  const message = (bytes: string, extra: Partial<Message> = {}): Message => ({ bytes: Buffer.from(bytes), direction: 'request', exchange: 1, first: true, last: true, ...extra });
  assert.deepEqual(memcache.errorReply(message('get k\r\n', { info: { command: 'get' } }), rng), { bytes: Buffer.from('SERVER_ERROR vaurien injected error\r\n'), close: false });
  assert.equal(memcache.errorReply(message('delete k noreply\r\n', { noReply: true, info: { command: 'delete' } }), rng).bytes.length, 0);
  assert.equal(memcache.errorReply(message('mg k v q\r\n', { noReply: true, info: { command: 'mg', quiet: true } }), rng).bytes.toString(), 'SERVER_ERROR vaurien injected error\r\n');
  assert.equal(memcache.errorReply(message('quit\r\n', { noReply: true, info: { command: 'quit' } }), rng).close, true);
  const corrupt = memcache.corrupt?.bind(memcache);
  assert.ok(corrupt !== undefined);
  const garbled = corrupt(message('STORED\r\n', { direction: 'response' }), rng).bytes;
  assert.equal(garbled.length, 8 + 100);
  assert.ok(garbled.subarray(-2).equals(Buffer.from('\r\n')));
  assert.equal(garbled.subarray(0, -2).indexOf(0x0a), -1);
  assert.equal(garbled.subarray(0, 3).toString(), 'STO');
});
