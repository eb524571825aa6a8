// The smtp framers on their own: any chunking of a valid session (pipelining, DATA bodies with
// dot-stuffing, BDAT, AUTH LOGIN, STARTTLS) gives the same exchanges, byte-exact; garbage
// never throws and is passed on unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction, Message, MessageInfo } from '../../lib/contract/message.js';
import type { ForwardedRequest, Framer, FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { DataEndFinder } from '../../plugins/protocols/framing/smtp-data-end.js';
import { smtp } from '../../plugins/protocols/smtp.js';

/** Both framers of one connection, wired as the engine wires them (forwarded requests feed pairing). */
class Harness {
  readonly messages: Message[] = [];
  readonly warnings: string[] = [];
  /** Exchanges opened as the connection's handshake (`openExchange({ handshake: true })`). */
  readonly handshakes: number[] = [];
  private latest = 0;
  private readonly forwarded: ForwardedRequest[] = [];
  private lastForwarded = 0;
  private readonly framers: Record<Direction, Framer>;
  /** When false, requests are framed but not forwarded, as if the proxy answered them itself. */
  forwarding = true;

  constructor() {
    const log: Logger = { ...silentLogger, warning: (line) => this.warnings.push(line) };
    const harness = this;
    const context: FramerContext = {
      openExchange: (opening) => {
        this.latest++;
        if (opening?.handshake === true) this.handshakes.push(this.latest);
        return this.latest;
      },
      nextForwarded: () => this.forwarded.shift(),
      get latestExchange() {
        return harness.latest;
      },
      log,
    };
    const options = { buffer: 2048, reuse_socket: false, handshake: false };
    this.framers = smtp.createFramers(options, context);
  }

  push(direction: Direction, chunk: Buffer): void {
    for (const message of this.framers[direction].push(chunk)) this.take(message);
  }

  end(): void {
    for (const direction of ['request', 'response'] as const) for (const message of this.framers[direction].end()) this.take(message);
  }

  private take(message: Message): void {
    this.messages.push(message);
    // What the request writer does: the first bytes of a new exchange mark it forwarded.
    if (message.direction === 'request' && message.exchange !== 0 && message.exchange !== this.lastForwarded) {
      this.lastForwarded = message.exchange;
      if (this.forwarding) this.forwarded.push({ exchange: message.exchange, info: message.info });
    }
  }

  bytes(direction: Direction): string {
    return Buffer.concat(this.messages.filter((m) => m.direction === direction).map((m) => m.bytes)).toString('latin1');
  }
}

/** One exchange side as the framers saw it: its bytes put back together, and its info. */
interface Unit {
  readonly direction: Direction;
  readonly exchange: number;
  readonly text: string;
  readonly info?: MessageInfo;
}

/** Groups messages into exchange sides, checking first/last sit exactly on the edges. */
function units(messages: readonly Message[]): Unit[] {
  const out: Array<{ direction: Direction; exchange: number; parts: string[]; info?: MessageInfo; open: boolean }> = [];
  for (const message of messages) {
    const text = message.bytes.toString('latin1');
    const previous = [...out].reverse().find((unit) => unit.direction === message.direction);
    if (message.exchange === 0) {
      if (previous?.exchange === 0) previous.parts.push(text);
      else out.push({ direction: message.direction, exchange: 0, parts: [text], open: false });
      continue;
    }
    const current = out.find((unit) => unit.direction === message.direction && unit.exchange === message.exchange);
    if (current === undefined) {
      assert.ok(message.first, `exchange ${message.exchange} ${message.direction} starts without first`);
      out.push({ direction: message.direction, exchange: message.exchange, parts: [text], open: !message.last, ...(message.info ? { info: message.info } : {}) });
    } else {
      assert.ok(!message.first, `exchange ${message.exchange} ${message.direction}: first twice`);
      assert.ok(current.open, `exchange ${message.exchange} ${message.direction}: a message after last`);
      current.parts.push(text);
      current.open = !message.last;
    }
  }
  return out.map(({ direction, exchange, parts, info }) => ({ direction, exchange, text: parts.join(''), ...(info ? { info } : {}) }));
}

// A session script: steps in wire order, and the exchanges they must make.
interface Step {
  readonly direction: Direction;
  readonly text: string;
}
interface Script {
  readonly steps: Step[];
  /** Requests in order, each with its info; replies pair with them in order after the greeting. */
  readonly requests: Array<{ text: string; info: MessageInfo }>;
  readonly replies: string[];
  readonly greeting: string;
  /** Bytes after an accepted STARTTLS, per direction. */
  readonly tls?: { request: string; response: string };
}

const bodyLine = fc.stringMatching(/^[.a-zA-Z0-9 :\-\t]{0,40}$/);
const stuff = (line: string): string => (line.startsWith('.') ? `.${line}` : line);
const binary = fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

type Item =
  | { kind: 'ehlo'; lines: number }
  | { kind: 'noop' }
  | { kind: 'mail'; rcpts: number; body: string[]; pipelined: boolean }
  | { kind: 'refusedData' }
  | { kind: 'authLogin' }
  | { kind: 'authPlain' }
  | { kind: 'bdat'; chunks: string[] };

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('ehlo' as const), lines: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('noop' as const) }),
  fc.record({ kind: fc.constant('mail' as const), rcpts: fc.integer({ min: 1, max: 3 }), body: fc.array(bodyLine, { maxLength: 12 }), pipelined: fc.boolean() }),
  fc.record({ kind: fc.constant('refusedData' as const) }),
  fc.record({ kind: fc.constant('authLogin' as const) }),
  fc.record({ kind: fc.constant('authPlain' as const) }),
  fc.record({ kind: fc.constant('bdat' as const), chunks: fc.array(binary, { minLength: 1, maxLength: 3 }) }),
);

function buildScript(items: Item[], tls: { request: string; response: string } | undefined): Script {
  const steps: Step[] = [];
  const requests: Script['requests'] = [];
  const replies: string[] = [];
  const client = (text: string): void => void steps.push({ direction: 'request', text });
  const server = (text: string): void => void steps.push({ direction: 'response', text });
  const request = (text: string, info: MessageInfo): string => {
    requests.push({ text, info });
    return text;
  };
  const reply = (text: string): string => {
    replies.push(text);
    return text;
  };
  const greeting = '220-mx.test ESMTP\r\n220 ready\r\n';
  server(greeting);
  for (const it of items) {
    switch (it.kind) {
      case 'ehlo': {
        client(request('EHLO client.test\r\n', { command: 'EHLO' }));
        const lines = Array.from({ length: it.lines }, (_, i) => `250${i === it.lines - 1 ? ' ' : '-'}EXT${i}\r\n`);
        server(reply(lines.join('')));
        break;
      }
      case 'noop':
        client(request('noop\r\n', { command: 'NOOP' }));
        server(reply('250 2.0.0 ok\r\n'));
        break;
      case 'mail': {
        const envelope = [request('MAIL FROM:<a@b>\r\n', { command: 'MAIL' })];
        for (let i = 0; i < it.rcpts; i++) envelope.push(request(`RCPT TO:<r${i}@b>\r\n`, { command: 'RCPT' }));
        envelope.push(request('DATA\r\n', { command: 'DATA' }));
        const answers = [...envelope.slice(0, -1).map(() => reply('250 ok\r\n')), reply('354 go ahead\r\n')];
        if (it.pipelined) {
          client(envelope.join(''));
          server(answers.join(''));
        } else {
          envelope.forEach((line, i) => {
            client(line);
            server(answers[i] as string);
          });
        }
        const body = it.body.map((line) => `${stuff(line)}\r\n`).join('');
        client(request(`${body}.\r\n`, { command: 'DATA', body: true }));
        server(reply('250 2.0.0 queued\r\n'));
        break;
      }
      case 'refusedData':
        client(request('DATA\r\n', { command: 'DATA' }));
        server(reply('503 5.5.1 need RCPT\r\n'));
        // Refused: what follows is a command, even one that looks like a body end.
        client(request('.\r\n', { command: '' }));
        server(reply('500 what\r\n'));
        break;
      case 'authLogin':
        client(request('AUTH LOGIN\r\n', { command: 'AUTH' }));
        server(reply('334 VXNlcm5hbWU6\r\n'));
        client(request('DATA\r\n', { command: 'AUTH', continuation: true })); // base64 that reads like a verb
        server(reply('334 UGFzc3dvcmQ6\r\n'));
        client(request('c2VjcmV0\r\n', { command: 'AUTH', continuation: true }));
        server(reply('235 2.7.0 ok\r\n'));
        break;
      case 'authPlain':
        client(request('AUTH PLAIN AHVzZXIAc2VjcmV0\r\n', { command: 'AUTH' }));
        server(reply('235 2.7.0 ok\r\n'));
        break;
      case 'bdat': {
        const group = it.chunks.map((data, i) => request(`BDAT ${Buffer.byteLength(data, 'latin1')}${i === it.chunks.length - 1 ? ' LAST' : ''}\r\n${data}`, { command: 'BDAT' }));
        client(group.join(''));
        server(group.map(() => reply('250 ok\r\n')).join(''));
        break;
      }
    }
  }
  if (tls !== undefined) {
    client(request('STARTTLS\r\n', { command: 'STARTTLS' }));
    server(reply('220 2.0.0 go ahead\r\n'));
    client(tls.request);
    server(tls.response);
  } else {
    client(request('QUIT\r\n', { command: 'QUIT' }));
    server(reply('221 bye\r\n'));
  }
  return { steps, requests, replies, greeting, ...(tls ? { tls } : {}) };
}

const script = fc
  .tuple(fc.array(item, { maxLength: 8 }), fc.option(fc.record({ request: binary, response: binary }), { nil: undefined }))
  .map(([items, tls]) => buildScript(items, tls));

/** Splits `text` at the given fractions into chunks (empty ones dropped). */
function split(text: string, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * text.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, text.length]) {
    if (point > from) chunks.push(Buffer.from(text.slice(from, point), 'latin1'));
    from = Math.max(from, point);
  }
  return chunks;
}

function run(steps: readonly Step[], cutsFor: (index: number) => number[]): Harness {
  const harness = new Harness();
  steps.forEach((step, index) => {
    for (const chunk of split(step.text, cutsFor(index))) harness.push(step.direction, chunk);
  });
  harness.end();
  return harness;
}

function expectedUnits(s: Script): Unit[] {
  const request: Unit[] = s.requests.map((r, i) => ({ direction: 'request', exchange: i + 2, text: r.text, info: r.info }));
  const response: Unit[] = [{ direction: 'response', exchange: 1, text: s.greeting }, ...s.replies.map((text, i): Unit => ({ direction: 'response', exchange: i + 2, text }))];
  if (s.tls !== undefined) {
    if (s.tls.request !== '') request.push({ direction: 'request', exchange: 0, text: s.tls.request });
    if (s.tls.response !== '') response.push({ direction: 'response', exchange: 0, text: s.tls.response });
  }
  return [...request, ...response];
}

const byDirection = (list: Unit[], direction: Direction): Unit[] => list.filter((unit) => unit.direction === direction);

test('the greeting, EHLO, AUTH with its SASL answers and STARTTLS are handshake exchanges; mail commands are not', () => {
  const setUp = new Set(['EHLO', 'HELO', 'LHLO', 'AUTH', 'STARTTLS']);
  fc.assert(
    fc.property(script, (s) => {
      const harness = run(s.steps, () => []);
      const expected = [1, ...s.requests.flatMap((r, i) => (setUp.has(String(r.info['command'])) ? [i + 2] : []))];
      assert.deepEqual(harness.handshakes, expected);
    }),
    { numRuns: 100 },
  );
});

test('any chunking of a valid session gives the same exchanges, byte-exact', () => {
  const cuts = fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), { maxLength: 64 });
  fc.assert(
    fc.property(script, cuts, (s, cutsPerStep) => {
      const harness = run(s.steps, (index) => cutsPerStep[index] ?? []);
      const wire = (direction: Direction): string => s.steps.filter((step) => step.direction === direction).map((step) => step.text).join('');
      assert.equal(harness.bytes('request'), wire('request'));
      assert.equal(harness.bytes('response'), wire('response'));
      const got = units(harness.messages);
      const expected = expectedUnits(s);
      for (const direction of ['request', 'response'] as const) {
        const mine = byDirection(got, direction).map(({ exchange, text, info }) => ({ exchange, text, ...(direction === 'request' ? { info } : {}) }));
        const want = byDirection(expected, direction).map(({ exchange, text, info }) => ({ exchange, text, ...(direction === 'request' ? { info } : {}) }));
        assert.deepEqual(mine, want);
      }
      assert.deepEqual(harness.warnings, []);
    }),
    { numRuns: 400 },
  );
});

test('a DATA body streams as it comes: each chunk goes out at once, the end is found across any split', () => {
  const body = 'line one\r\n..leading dot\r\n.\r\n';
  for (let cut = 1; cut < body.length; cut++) {
    const harness = new Harness();
    harness.push('response', Buffer.from('220 hi\r\n'));
    harness.push('request', Buffer.from('DATA\r\n'));
    harness.push('response', Buffer.from('354 go\r\n'));
    harness.push('request', Buffer.from(body.slice(0, cut)));
    const before = harness.messages.length;
    assert.ok(before > 0 && harness.messages.at(-1)?.last === false, `cut ${cut}: the first part was held back or ended the body`);
    harness.push('request', Buffer.from(body.slice(cut) + 'QUIT\r\n'));
    const [end, quit] = harness.messages.slice(-2);
    assert.equal(end?.last, true, `cut ${cut}: the body end was missed`);
    assert.equal(quit?.info?.['command'], 'QUIT', `cut ${cut}`);
  }
});

test('the data-end finder sees a terminator split at every position, and nothing in stuffed lines', () => {
  // Each body ends exactly at its terminator; the commands after it must not be swallowed.
  const bodies = ['.\r\n', 'a\r\n.\r\n', '..\r\n.\r\n', 'a\r\n..\r\nb\r\n.\r\n', 'a\r\n.x\r\n.\r\n', '\r\n\r\n.\r\n'];
  for (const body of bodies) {
    const end = body.length;
    const wire = `${body}QUIT\r\n.\r\n`;
    for (let cut = 0; cut <= wire.length; cut++) {
      const finder = new DataEndFinder();
      const first = Buffer.from(wire.slice(0, cut));
      const found = first.length > 0 ? finder.find(first, 0) : -1;
      if (found !== -1) {
        assert.equal(found, end, `${JSON.stringify(body)} cut ${cut}`);
        continue;
      }
      const rest = Buffer.from(`xx${wire.slice(cut)}`);
      assert.equal(finder.find(rest, 2) - 2 + cut, end, `${JSON.stringify(body)} cut ${cut}`);
    }
  }
});

test('a DATA answered by the proxy itself (no 354 seen) leaves the client sending commands', () => {
  const harness = new Harness();
  harness.push('response', Buffer.from('220 hi\r\n'));
  harness.forwarding = false; // the proxy answered DATA with an error: the backend never saw it
  harness.push('request', Buffer.from('DATA\r\n'));
  harness.forwarding = true;
  harness.push('request', Buffer.from('RSET\r\n'));
  assert.deepEqual(
    harness.messages.filter((m) => m.direction === 'request').map((m) => [m.exchange, m.info?.['command'], m.first, m.last]),
    [
      [2, 'DATA', true, true],
      [3, 'RSET', true, true],
    ],
  );
});

test('the reply after an accepted STARTTLS is the last one framed: TLS bytes pass as exchange 0 both ways', () => {
  const harness = new Harness();
  harness.push('response', Buffer.from('220 hi\r\n'));
  harness.push('request', Buffer.from('STARTTLS\r\n'));
  harness.push('response', Buffer.from('220 go\r\n'));
  harness.push('request', Buffer.from('\x16\x03\x01garbage\r\nQUIT\r\n'));
  harness.push('response', Buffer.from('\x16\x03\x03more\r\n'));
  const tail = harness.messages.slice(-2);
  assert.deepEqual(
    tail.map((m) => m.exchange),
    [0, 0],
  );
  assert.deepEqual(harness.warnings, []);
});

test('a server that does not speak SMTP: one warning, then everything passes unframed', () => {
  const harness = new Harness();
  harness.push('response', Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  harness.push('request', Buffer.from('EHLO x\r\nMAIL FROM:<a@b>\r\n'));
  harness.push('response', Buffer.from('more\r\n'));
  assert.equal(harness.warnings.length, 1);
  assert.equal(harness.bytes('response'), 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nmore\r\n');
  assert.ok(harness.messages.filter((m) => m.direction === 'request').every((m) => m.exchange === 0));
});

test('a client line past 64 KiB without an end: one warning, then raw passthrough', () => {
  const harness = new Harness();
  harness.push('response', Buffer.from('220 hi\r\n'));
  const long = Buffer.alloc(70 * 1024, 0x41);
  harness.push('request', long.subarray(0, 40 * 1024));
  harness.push('request', long.subarray(40 * 1024));
  harness.push('request', Buffer.from('\r\nQUIT\r\n'));
  harness.push('response', Buffer.from('500 too long\r\n'));
  assert.equal(harness.warnings.length, 1);
  assert.equal(harness.bytes('request').length, long.length + 8);
  assert.ok(harness.messages.filter((m) => m.direction === 'request').every((m) => m.exchange === 0));
});

const token = fc.constantFrom(
  'DATA\r\n',
  '354 go\r\n',
  '250-a\r\n',
  '250 b\r\n',
  'BDAT 5\r\n',
  'BDAT 99999999999 LAST\r\n',
  '334 x\r\n',
  'AUTH LOGIN\r\n',
  '\r\n.\r\n',
  '.\r\n',
  'STARTTLS\r\n',
  '220 x\r\n',
  '\n',
  '\r',
);
const garbage = fc.array(
  fc.tuple(
    fc.constantFrom<Direction>('request', 'response'),
    fc.oneof(
      token.map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    ),
  ),
  { maxLength: 40 },
);

test('garbage in either direction never throws and comes out unchanged', () => {
  fc.assert(
    fc.property(garbage, (pushes) => {
      const harness = new Harness();
      const sent: Record<Direction, Buffer[]> = { request: [], response: [] };
      for (const [direction, chunk] of pushes) {
        sent[direction].push(chunk);
        harness.push(direction, chunk);
      }
      harness.end();
      assert.equal(harness.bytes('request'), Buffer.concat(sent.request).toString('latin1'));
      assert.equal(harness.bytes('response'), Buffer.concat(sent.response).toString('latin1'));
      assert.ok(harness.warnings.length <= 1, `${harness.warnings.length} warnings`);
    }),
    { numRuns: 500 },
  );
});
