// postgres framing on synthesized sessions: whatever the chunking, every message lands in the
// exchange it belongs to with the right first/last, bytes come out unchanged, and garbage never
// throws. Sessions are generated (SSL/GSS negotiation, trust/md5/SCRAM logins, simple and
// extended queries, pipelines, cursors waiting at a Flush, COPY in and out, notifications),
// and the error reply and `inject` are read back with pg's own protocol parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { DatabaseError, parse } from 'pg-protocol';
import type { Direction, Message, MessageInfo } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { createRng } from '../../lib/rng.js';
import { postgres, type PostgresOptions } from '../../plugins/protocols/postgres.js';
import { splitAt } from '../helpers/framing.js';

// ---- message builders ------------------------------------------------------------------------

const int16 = (value: number): Buffer => {
  const out = Buffer.alloc(2);
  out.writeInt16BE(value);
  return out;
};
const int32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return out;
};
const cstr = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8');
const typed = (type: string, ...body: Buffer[]): Buffer => {
  const payload = Buffer.concat(body);
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(payload.length + 4), payload]);
};
const untyped = (code: number, ...body: Buffer[]): Buffer => {
  const payload = Buffer.concat(body);
  return Buffer.concat([int32(payload.length + 8), int32(code), payload]);
};

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 0x30000;

/** Frontend messages. */
const fe = {
  startup: (user = 'vaurien', database = 'chaos'): Buffer => untyped(PROTOCOL_3, cstr('user'), cstr(user), cstr('database'), cstr(database), cstr('application_name'), cstr('test'), Buffer.from([0])),
  ssl: (): Buffer => untyped(SSL_REQUEST),
  gssenc: (): Buffer => untyped(GSSENC_REQUEST),
  cancel: (): Buffer => untyped(CANCEL_REQUEST, int32(1234), int32(5678)),
  password: (bytes: Buffer): Buffer => typed('p', bytes),
  query: (sql: string): Buffer => typed('Q', cstr(sql)),
  parse: (name: string, sql: string): Buffer => typed('P', cstr(name), cstr(sql), int16(0)),
  bind: (portal: string, statement: string): Buffer => typed('B', cstr(portal), cstr(statement), int16(0), int16(1), int32(1), Buffer.from('7'), int16(0)),
  describe: (kind: 'P' | 'S', name: string): Buffer => typed('D', Buffer.from(kind), cstr(name)),
  execute: (portal: string, rows: number): Buffer => typed('E', cstr(portal), int32(rows)),
  close: (kind: 'P' | 'S', name: string): Buffer => typed('C', Buffer.from(kind), cstr(name)),
  flush: (): Buffer => typed('H'),
  sync: (): Buffer => typed('S'),
  functionCall: (): Buffer => typed('F', int32(1598), int16(0), int16(0), int16(0)),
  copyData: (bytes: Buffer): Buffer => typed('d', bytes),
  copyDone: (): Buffer => typed('c'),
  copyFail: (why: string): Buffer => typed('f', cstr(why)),
  terminate: (): Buffer => typed('X'),
};

/** Backend messages. */
const be = {
  auth: (code: number, extra: Buffer = Buffer.alloc(0)): Buffer => typed('R', int32(code), extra),
  parameter: (name: string, value: string): Buffer => typed('S', cstr(name), cstr(value)),
  keyData: (): Buffer => typed('K', int32(4321), int32(8765)),
  ready: (status: 'I' | 'T' | 'E'): Buffer => typed('Z', Buffer.from(status)),
  negotiate: (): Buffer => typed('v', int32(0), int32(1), cstr('_pq_.x')),
  rowDescription: (columns: number): Buffer =>
    typed('T', int16(columns), ...Array.from({ length: columns }, (_, i) => Buffer.concat([cstr(`c${i}`), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]))),
  dataRow: (values: readonly Buffer[]): Buffer => typed('D', int16(values.length), ...values.flatMap((value) => [int32(value.length), value])),
  complete: (tag: string): Buffer => typed('C', cstr(tag)),
  error: (code = '42601', message = 'syntax error', severity = 'ERROR'): Buffer => typed('E', Buffer.from('S'), cstr(severity), Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(message), Buffer.from([0])),
  notice: (message: string): Buffer => typed('N', Buffer.from('S'), cstr('NOTICE'), Buffer.from('C'), cstr('00000'), Buffer.from('M'), cstr(message), Buffer.from([0])),
  notification: (channel: string, payload: string): Buffer => typed('A', int32(99), cstr(channel), cstr(payload)),
  emptyQuery: (): Buffer => typed('I'),
  parseComplete: (): Buffer => typed('1'),
  bindComplete: (): Buffer => typed('2'),
  closeComplete: (): Buffer => typed('3'),
  parameterDescription: (count: number): Buffer => typed('t', int16(count), ...Array.from({ length: count }, () => int32(23))),
  noData: (): Buffer => typed('n'),
  portalSuspended: (): Buffer => typed('s'),
  copyIn: (): Buffer => typed('G', Buffer.from([0]), int16(1), int16(0)),
  copyOut: (): Buffer => typed('H', Buffer.from([0]), int16(1), int16(0)),
  copyData: (bytes: Buffer): Buffer => typed('d', bytes),
  copyDone: (): Buffer => typed('c'),
  functionResult: (): Buffer => typed('V', int32(2), Buffer.from('ok')),
};

// ---- sessions: segments of wire bytes with the stamps each message must get ------------------

interface Expect {
  readonly direction: Direction;
  readonly exchange: number;
  readonly first: boolean;
  readonly last: boolean;
  readonly command?: string;
}

interface Segment {
  readonly from: Direction;
  readonly bytes: Buffer;
}

type Status = 'I' | 'T' | 'E';

class Script {
  readonly segments: Segment[] = [];
  readonly expected: Expect[] = [];
  /** Exchanges the framers must open as handshake. */
  readonly handshakes: number[] = [];
  /** What each exchange's opening request must carry in `info` (beyond `command`). */
  readonly infos = new Map<number, MessageInfo>();
  exchange = 0;
  status: Status = 'I';

  /** Client messages of one new exchange, as one segment; `closes`: the last one completes its side. */
  request(messages: readonly Buffer[], command: string, options: { handshake?: boolean; closes?: boolean; info?: MessageInfo } = {}): number {
    const exchange = ++this.exchange;
    if (options.handshake === true) this.handshakes.push(exchange);
    if (options.info !== undefined) this.infos.set(exchange, options.info);
    const closes = options.closes ?? true;
    messages.forEach((_, index) => {
      this.expected.push({ direction: 'request', exchange, first: index === 0, last: closes && index === messages.length - 1, command });
    });
    this.segments.push({ from: 'request', bytes: Buffer.concat(messages) });
    return exchange;
  }

  /** More client messages of an exchange already open (a cursor's next Execute, COPY data). */
  more(exchange: number, messages: readonly Buffer[], command: string, closes = false): void {
    messages.forEach((_, index) => {
      this.expected.push({ direction: 'request', exchange, first: false, last: closes && index === messages.length - 1, command });
    });
    this.segments.push({ from: 'request', bytes: Buffer.concat(messages) });
  }

  /** Server messages of the answer to `exchange`; `opens`/`closes`: this segment starts/ends it. */
  answer(exchange: number, messages: readonly Buffer[], opens = true, closes = true): void {
    messages.forEach((message, index) => {
      this.expected.push({ direction: 'response', exchange, first: opens && index === 0, last: closes && index === messages.length - 1 });
      if (message[0] === 0x5a) this.status = String.fromCharCode(message[5] as number) as Status;
    });
    this.segments.push({ from: 'response', bytes: Buffer.concat(messages) });
  }

  /** Messages outside any exchange. */
  outside(from: Direction, messages: readonly Buffer[]): void {
    for (const _ of messages) this.expected.push({ direction: from, exchange: 0, first: true, last: true });
    this.segments.push({ from, bytes: Buffer.concat(messages) });
  }

  /** Info of a non-handshake request, as the framer must stamp it. */
  queryInfo(command: string, query: string | undefined, extended: boolean): MessageInfo {
    return {
      command,
      ...(query === undefined ? {} : { query: query.slice(0, 100) }),
      transaction: this.status,
      sqlstate: '57P01',
      ...(extended ? { awaitsAnswer: true } : {}),
    };
  }
}

type Login = 'trust' | 'md5' | 'scram' | 'refused';

type Interaction =
  | { kind: 'select'; rows: number; notice: boolean }
  | { kind: 'query-error' }
  | { kind: 'empty-query' }
  | { kind: 'multi' }
  | { kind: 'set' }
  | { kind: 'notify-inside' }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'extended'; rows: number; named: boolean; failed: boolean }
  | { kind: 'pipeline'; count: number }
  | { kind: 'cursor'; fetches: number }
  | { kind: 'copy-in'; extended: boolean; chunks: number; fail: boolean }
  | { kind: 'copy-out'; chunks: number }
  | { kind: 'function-call' }
  | { kind: 'async'; notification: boolean; parameter: boolean }
  | { kind: 'sync-alone' };

const interaction: fc.Arbitrary<Interaction> = fc.oneof(
  fc.record({ kind: fc.constant('select' as const), rows: fc.integer({ min: 0, max: 6 }), notice: fc.boolean() }),
  fc.record({ kind: fc.constant('query-error' as const) }),
  fc.record({ kind: fc.constant('empty-query' as const) }),
  fc.record({ kind: fc.constant('multi' as const) }),
  fc.record({ kind: fc.constant('set' as const) }),
  fc.record({ kind: fc.constant('notify-inside' as const) }),
  fc.record({ kind: fc.constant('begin' as const) }),
  fc.record({ kind: fc.constant('commit' as const) }),
  fc.record({ kind: fc.constant('extended' as const), rows: fc.integer({ min: 0, max: 4 }), named: fc.boolean(), failed: fc.boolean() }),
  fc.record({ kind: fc.constant('pipeline' as const), count: fc.integer({ min: 2, max: 5 }) }),
  fc.record({ kind: fc.constant('cursor' as const), fetches: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('copy-in' as const), extended: fc.boolean(), chunks: fc.integer({ min: 0, max: 3 }), fail: fc.boolean() }),
  fc.record({ kind: fc.constant('copy-out' as const), chunks: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('function-call' as const) }),
  fc.record({ kind: fc.constant('async' as const), notification: fc.boolean(), parameter: fc.boolean() }),
  fc.record({ kind: fc.constant('sync-alone' as const) }),
);

const row = (i: number): Buffer => be.dataRow([Buffer.from(`row ${i}`), Buffer.from(String(i * 7))]);
const rows = (count: number): Buffer[] => Array.from({ length: count }, (_, i) => row(i));
const SQL = 'SELECT a, b FROM t WHERE a > $1 — ünïcode and a long tail '.padEnd(140, 'x');

function startUp(script: Script, ssl: boolean, gss: boolean, login: Login): boolean {
  if (gss) {
    const exchange = script.request([fe.gssenc()], 'GSSENCRequest', { handshake: true });
    script.answer(exchange, [Buffer.from('N')]);
  }
  if (ssl) {
    const exchange = script.request([fe.ssl()], 'SSLRequest', { handshake: true });
    script.answer(exchange, [Buffer.from('N')]);
  }
  const startup = script.request([fe.startup()], 'StartupMessage', { handshake: true, info: { command: 'StartupMessage', user: 'vaurien', database: 'chaos', sqlstate: '57P01' } });
  const welcome = [be.auth(0), be.parameter('server_version', '15.8'), be.parameter('TimeZone', 'UTC'), be.keyData(), be.ready('I')];
  switch (login) {
    case 'trust':
      script.answer(startup, [be.negotiate(), ...welcome]);
      return true;
    case 'md5': {
      script.answer(startup, [be.auth(5, Buffer.from('salt'))]);
      const password = script.request([fe.password(cstr('md5abcdef'))], 'p', { handshake: true });
      script.answer(password, welcome);
      return true;
    }
    case 'scram': {
      script.answer(startup, [be.auth(10, Buffer.concat([cstr('SCRAM-SHA-256'), Buffer.from([0])]))]);
      const initial = script.request([fe.password(Buffer.concat([cstr('SCRAM-SHA-256'), int32(4), Buffer.from('n,,x')]))], 'p', { handshake: true });
      script.answer(initial, [be.auth(11, Buffer.from('r=nonce,s=salt,i=4096'))]);
      const final = script.request([fe.password(Buffer.from('c=biws,r=nonce,p=proof'))], 'p', { handshake: true });
      script.answer(final, [be.auth(12, Buffer.from('v=signature')), ...welcome]);
      return true;
    }
    case 'refused':
      script.answer(startup, [be.error('28P01', 'password authentication failed', 'FATAL')]);
      return false;
  }
}

function addInteraction(script: Script, step: Interaction): void {
  const simple = (sql: string, answer: Buffer[]): void => {
    const exchange = script.request([fe.query(sql)], 'Q', { info: script.queryInfo('Q', sql, false) });
    script.answer(exchange, answer);
  };
  switch (step.kind) {
    case 'select':
      return simple(SQL, [...(step.notice ? [be.notice('hello')] : []), be.rowDescription(2), ...rows(step.rows), be.complete(`SELECT ${step.rows}`), be.ready(script.status)]);
    case 'query-error':
      return simple('SELEKT', [be.error(), be.ready(script.status === 'T' ? 'E' : script.status)]);
    case 'empty-query':
      return simple('', [be.emptyQuery(), be.ready(script.status)]);
    case 'multi':
      return simple('SELECT 1; UPDATE t SET a = 1', [be.rowDescription(1), row(1), be.complete('SELECT 1'), be.complete('UPDATE 3'), be.ready(script.status)]);
    case 'set':
      return simple("SET application_name = 'x'", [be.complete('SET'), be.parameter('application_name', 'x'), be.ready(script.status)]);
    case 'notify-inside':
      return simple("NOTIFY c, 'payload'", [be.complete('NOTIFY'), be.notification('c', 'payload'), be.ready(script.status)]);
    case 'begin':
      return simple('BEGIN', [be.complete('BEGIN'), be.ready('T')]);
    case 'commit':
      return simple('COMMIT', [be.complete('COMMIT'), be.ready('I')]);
    case 'extended': {
      const name = step.named ? 'stmt1' : '';
      const opening = [fe.parse(name, SQL), fe.bind('', name), fe.describe('P', ''), fe.execute('', 0), fe.sync()];
      const exchange = script.request(opening, 'P', { info: script.queryInfo('P', SQL.slice(0, 100), true) });
      if (step.failed) return script.answer(exchange, [be.error(), be.ready(script.status === 'T' ? 'E' : script.status)]);
      script.answer(exchange, [be.parseComplete(), be.bindComplete(), be.rowDescription(2), ...rows(step.rows), be.complete(`SELECT ${step.rows}`), be.ready(script.status)]);
      if (!step.named) return;
      // Bound again by name: the exchange opens with a Bind that names the statement's SQL.
      const again = script.request([fe.bind('', name), fe.execute('', 0), fe.sync()], 'B', { info: script.queryInfo('B', SQL.slice(0, 100), true) });
      script.answer(again, [be.bindComplete(), ...rows(1), be.complete('SELECT 1'), be.ready(script.status)]);
      // Closed: the statement is forgotten (a Bind naming it would have no query).
      const closed = script.request([fe.close('S', name), fe.sync()], 'C', { info: script.queryInfo('C', undefined, true) });
      script.answer(closed, [be.closeComplete(), be.ready(script.status)]);
      return;
    }
    case 'pipeline': {
      // Several Syncs in flight: one client segment, then every answer, paired in order.
      const exchanges: number[] = [];
      const messages: Buffer[] = [];
      for (let i = 0; i < step.count; i++) {
        const sql = `SELECT ${i}`;
        exchanges.push(++script.exchange);
        script.infos.set(script.exchange, script.queryInfo('P', sql, true));
        const batch = [fe.parse('', sql), fe.bind('', ''), fe.execute('', 0), fe.sync()];
        batch.forEach((_, index) => script.expected.push({ direction: 'request', exchange: script.exchange, first: index === 0, last: index === batch.length - 1, command: 'P' }));
        messages.push(...batch);
      }
      script.segments.push({ from: 'request', bytes: Buffer.concat(messages) });
      const answers: Buffer[] = [];
      exchanges.forEach((exchange, i) => {
        const answer = i === 1 ? [be.error(), be.ready(script.status)] : [be.parseComplete(), be.bindComplete(), row(i), be.complete('SELECT 1'), be.ready(script.status)];
        answer.forEach((_, index) => script.expected.push({ direction: 'response', exchange, first: index === 0, last: index === answer.length - 1 }));
        answers.push(...answer);
      });
      script.segments.push({ from: 'response', bytes: Buffer.concat(answers) });
      return;
    }
    case 'cursor': {
      // A client reading 2 rows at a time, waiting at each Flush: one exchange up to its Sync.
      const exchange = script.request([fe.parse('', SQL), fe.bind('c1', ''), fe.describe('P', 'c1'), fe.execute('c1', 2), fe.flush()], 'P', {
        closes: false,
        info: script.queryInfo('P', SQL.slice(0, 100), true),
      });
      script.answer(exchange, [be.parseComplete(), be.bindComplete(), be.rowDescription(2), row(0), row(1), be.portalSuspended()], true, false);
      for (let fetch = 0; fetch < step.fetches; fetch++) {
        script.more(exchange, [fe.execute('c1', 2), fe.flush()], 'P');
        script.answer(exchange, [row(2), row(3), be.portalSuspended()], false, false);
      }
      script.more(exchange, [fe.execute('c1', 2), fe.sync()], 'P', true);
      script.answer(exchange, [row(4), be.complete('SELECT 5'), be.ready(script.status)], false, true);
      return;
    }
    case 'copy-in': {
      const data = Array.from({ length: step.chunks }, (_, i) => fe.copyData(Buffer.from(`${i}\tline ${i}\n`)));
      const end = step.fail ? fe.copyFail('client gave up') : fe.copyDone();
      const closing = step.fail ? [be.error('57014', 'COPY from stdin failed'), be.ready(script.status === 'T' ? 'E' : script.status)] : [be.complete(`COPY ${step.chunks}`), be.ready(script.status)];
      if (!step.extended) {
        const exchange = script.request([fe.query('COPY t FROM STDIN')], 'Q', { info: script.queryInfo('Q', 'COPY t FROM STDIN', false) });
        script.answer(exchange, [be.copyIn()], true, false);
        script.more(exchange, [...data, end], 'Q');
        script.answer(exchange, closing, false, true);
        return;
      }
      // libpq's extended COPY: its Sync is ignored during the copy, so it sends another after CopyDone.
      const exchange = script.request([fe.parse('', 'COPY t FROM STDIN'), fe.bind('', ''), fe.describe('P', ''), fe.execute('', 0), fe.sync()], 'P', {
        info: script.queryInfo('P', 'COPY t FROM STDIN', true),
      });
      script.answer(exchange, [be.parseComplete(), be.bindComplete(), be.noData(), be.copyIn()], true, false);
      // A Flush and a Sync inside the COPY are ignored by the server: they answer nothing.
      script.more(exchange, [...data, fe.flush(), fe.sync(), end, fe.sync()], 'P');
      script.answer(exchange, closing, false, true);
      return;
    }
    case 'copy-out':
      return simple('COPY t TO STDOUT', [be.copyOut(), ...Array.from({ length: step.chunks }, (_, i) => be.copyData(Buffer.from(`${i}\n`))), be.copyDone(), be.complete(`COPY ${step.chunks}`), be.ready(script.status)]);
    case 'function-call': {
      const exchange = script.request([fe.functionCall()], 'F', { info: script.queryInfo('F', undefined, false) });
      script.answer(exchange, [be.functionResult(), be.ready(script.status)]);
      return;
    }
    case 'async':
      // Between answers: the server's own news, outside exchanges.
      script.outside('response', [...(step.notification ? [be.notification('jobs', 'new')] : []), ...(step.parameter ? [be.parameter('is_superuser', 'on')] : [be.notification('jobs', 'again')])]);
      return;
    case 'sync-alone': {
      const exchange = script.request([fe.sync()], 'S', { info: script.queryInfo('S', undefined, false) });
      script.answer(exchange, [be.ready(script.status)]);
      return;
    }
  }
}

function buildSession(ssl: boolean, gss: boolean, login: Login, interactions: readonly Interaction[]): Script {
  const script = new Script();
  if (!startUp(script, ssl, gss, login)) return script;
  for (const step of interactions) addInteraction(script, step);
  const terminate = ++script.exchange;
  script.expected.push({ direction: 'request', exchange: terminate, first: true, last: true, command: 'X' });
  script.segments.push({ from: 'request', bytes: fe.terminate() });
  return script;
}

const sessions = fc
  .tuple(fc.boolean(), fc.boolean(), fc.constantFrom<Login>('trust', 'md5', 'scram', 'refused'), fc.array(interaction, { maxLength: 10 }))
  .map(([ssl, gss, login, steps]) => buildSession(ssl, gss, login, steps));

// ---- a connection-like harness for both framers -------------------------------------------

interface Framed {
  readonly request: Message[];
  readonly response: Message[];
  readonly all: Message[];
  readonly handshakes: number[];
  readonly warnings: string[];
  readonly infos: string[];
}

const OPTIONS: PostgresOptions = { buffer: 1 << 20, handshake: false, sqlstate: '57P01' };

/** Frames `segments` in order, each split at `cuts`, the way a connection's two pipelines would. */
function frameSession(segments: readonly Segment[], cuts: readonly number[], buffer = 1 << 20): Framed {
  const forwarded: ForwardedRequest[] = [];
  const handshakes: number[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const log: Logger = { ...silentLogger, warning: (line) => void warnings.push(line), info: (line) => void infos.push(line) };
  let latest = 0;
  let lastForwarded = 0;
  const context: FramerContext = {
    openExchange: (opening) => {
      latest++;
      if (opening?.handshake === true) handshakes.push(latest);
      return latest;
    },
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return latest;
    },
    log,
  };
  const framers = postgres.createFramers({ ...OPTIONS, buffer }, context);
  const out: Framed = { request: [], response: [], all: [], handshakes, warnings, infos };
  const take = (messages: Iterable<Message>): void => {
    for (const message of messages) {
      out[message.direction].push(message);
      out.all.push(message);
      // What the connection's request writer does when a new exchange's first bytes go out.
      if (message.direction === 'request' && message.exchange !== 0 && message.exchange !== lastForwarded) {
        lastForwarded = message.exchange;
        if (message.noReply !== true) forwarded.push({ exchange: message.exchange, info: message.info });
      }
    }
  };
  for (const segment of segments) for (const chunk of splitAt(segment.bytes, cuts)) take(framers[segment.from].push(chunk));
  take(framers.request.end());
  take(framers.response.end());
  return out;
}

const bytesOf = (messages: readonly Message[]): Buffer => Buffer.concat(messages.map((message) => message.bytes));
const inputOf = (segments: readonly Segment[], from: Direction): Buffer => Buffer.concat(segments.filter((segment) => segment.from === from).map((segment) => segment.bytes));
const shapeOf = (message: Message): Expect => ({
  direction: message.direction,
  exchange: message.exchange,
  first: message.first,
  last: message.last,
  ...(message.direction === 'request' && typeof message.info?.['command'] === 'string' ? { command: message.info['command'] } : {}),
});

// ---- framing properties ----------------------------------------------------------------------

test('any chunking of a generated session stamps every message with its exchange, first and last', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 40 }), (script, cuts) => {
      const framed = frameSession(script.segments, cuts);
      assert.deepEqual(framed.all.map(shapeOf), script.expected);
      assert.ok(bytesOf(framed.request).equals(inputOf(script.segments, 'request')));
      assert.ok(bytesOf(framed.response).equals(inputOf(script.segments, 'response')));
      assert.deepEqual(framed.warnings, []);
    }),
    { numRuns: 300 },
  );
});

test('the start-up, the SSL and GSS negotiation and every authentication answer are handshake exchanges; queries are not', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 20 }), (script, cuts) => {
      assert.deepEqual(frameSession(script.segments, cuts).handshakes, script.handshakes);
    }),
    { numRuns: 100 },
  );
});

test('a request carries its command, its first 100 characters of SQL (a Bind: its statement\'s), and the transaction status', () => {
  fc.assert(
    fc.property(sessions, (script) => {
      const framed = frameSession(script.segments, []);
      for (const [exchange, info] of script.infos) {
        const opening = framed.request.find((message) => message.exchange === exchange && message.first);
        assert.deepEqual(opening?.info, info, `exchange ${exchange}`);
      }
    }),
    { numRuns: 150 },
  );
});

test('with a small buffer, messages stream as pieces at the same boundaries whatever the chunking', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 300 }), (script, cuts, buffer) => {
      const whole = frameSession(script.segments, [], buffer);
      const chunked = frameSession(script.segments, cuts, buffer);
      const pieces = (framed: Framed): string[] => framed.all.map((message) => `${message.bytes.toString('hex')} ${JSON.stringify(shapeOf(message))}`);
      assert.deepEqual(pieces(chunked), pieces(whole));
      assert.ok(bytesOf(chunked.request).equals(inputOf(script.segments, 'request')));
      assert.ok(bytesOf(chunked.response).equals(inputOf(script.segments, 'response')));
      // The same exchange edges as with whole messages.
      const edges = (messages: readonly Message[]): string[] => messages.filter((m) => m.first || m.last).map((m) => `${m.direction}${m.exchange}${m.first}${m.last}`);
      assert.deepEqual(edges(chunked.all), edges(frameSession(script.segments, []).all));
      // At most `buffer` bytes, except a first piece, which holds enough to classify its message.
      for (const message of chunked.all) assert.ok(message.bytes.length <= Math.max(buffer, 5 + 512));
    }),
    { numRuns: 150 },
  );
});

test('a 3 MB DataRow and 3 MB of CopyData stream as pieces of `buffer` bytes and keep their exchange', () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
  const script = new Script();
  startUp(script, false, false, 'trust');
  const select = script.request([fe.query('SELECT big')], 'Q');
  script.answer(select, [be.rowDescription(1), be.dataRow([big]), be.complete('SELECT 1'), be.ready('I')]);
  const copy = script.request([fe.query('COPY t FROM STDIN')], 'Q');
  script.answer(copy, [be.copyIn()], true, false);
  script.more(copy, [fe.copyData(big), fe.copyDone()], 'Q');
  script.answer(copy, [be.complete('COPY 1'), be.ready('I')], false, true);
  const framed = frameSession(script.segments, [70_000, 1_500_000, 3_200_000], 2048);
  assert.ok(bytesOf(framed.request).equals(inputOf(script.segments, 'request')));
  assert.ok(bytesOf(framed.response).equals(inputOf(script.segments, 'response')));
  assert.ok(framed.all.every((message) => message.bytes.length <= 2048));
  const rowPieces = framed.response.filter((message) => message.exchange === select);
  assert.ok(rowPieces.length > 1500, `${rowPieces.length} pieces`);
  assert.equal(rowPieces.filter((message) => message.last).length, 1);
  assert.ok(rowPieces.at(-1)?.last);
  const copyPieces = framed.request.filter((message) => message.exchange === copy);
  assert.ok(copyPieces.length > 1500);
  assert.deepEqual(framed.warnings, []);
});

// ---- raw passthrough and garbage -------------------------------------------------------------

test('an SSLRequest answered S passes the rest of the connection through raw, with one log line', () => {
  const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
  const segments: Segment[] = [
    { from: 'request', bytes: fe.ssl() },
    { from: 'response', bytes: Buffer.from('S') },
    { from: 'request', bytes: Buffer.concat([hello, fe.query('SELECT 1')]) },
    { from: 'response', bytes: Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00]) },
  ];
  for (const cuts of [[], [3, 5, 9, 14]]) {
    const framed = frameSession(segments, cuts);
    assert.deepEqual(framed.all.slice(0, 2).map(shapeOf), [
      { direction: 'request', exchange: 1, first: true, last: true, command: 'SSLRequest' },
      { direction: 'response', exchange: 1, first: true, last: true },
    ]);
    assert.ok(framed.all.slice(2).every((message) => message.exchange === 0), 'TLS bytes were framed');
    assert.ok(bytesOf(framed.request).equals(inputOf(segments, 'request')));
    assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
    assert.equal(framed.infos.length, 1);
    assert.match(framed.infos[0] as string, /accepted TLS/);
    assert.deepEqual(framed.warnings, []);
  }
});

test('a client that starts with TLS at once, and a CancelRequest connection, pass through raw without a warning', () => {
  const direct = frameSession([{ from: 'request', bytes: Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]) }], [2]);
  assert.ok(direct.all.every((message) => message.exchange === 0));
  assert.equal(direct.infos.length, 1);
  assert.deepEqual(direct.warnings, []);
  const cancel = frameSession([{ from: 'request', bytes: fe.cancel() }], [7]);
  assert.deepEqual(cancel.all.map(shapeOf), [{ direction: 'request', exchange: 0, first: true, last: true }]);
  assert.ok(bytesOf(cancel.request).equals(fe.cancel()));
  assert.deepEqual(cancel.warnings, []);
});

test('garbage after a valid start never throws, loses no byte, warns once and passes the rest raw', () => {
  const start = buildSession(false, false, 'trust', [{ kind: 'select', rows: 2, notice: false }]).segments.slice(0, -1);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 5, maxLength: 200 }), fc.constantFrom<Direction>('request', 'response'), fc.array(fc.nat(), { maxLength: 10 }), (garbage, from, cuts) => {
      const bytes = Buffer.from(garbage);
      bytes[0] = 0x01; // never a message type, so the garbage is malformed from its first byte
      const segments = [...start, { from, bytes }, { from: from === 'request' ? 'response' : 'request', bytes: fe.query('SELECT 2') } as Segment];
      const framed = frameSession(segments, cuts);
      assert.ok(bytesOf(framed.request).equals(inputOf(segments, 'request')));
      assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
      assert.equal(framed.warnings.length, 1, framed.warnings.join('\n'));
      const at = framed.all.findIndex((message) => message.bytes.length > 0 && message.bytes[0] === 0x01 && message.exchange === 0);
      assert.ok(at !== -1 && framed.all.slice(at).every((message) => message.exchange === 0 || message.bytes.length === 0), 'framing went on after the garbage');
    }),
    { numRuns: 200 },
  );
});

test('when the server\'s bytes stop making sense, every request still awaiting its answer gets an empty last one', () => {
  const script = new Script();
  startUp(script, false, false, 'trust');
  const segments: Segment[] = [
    ...script.segments,
    { from: 'request', bytes: Buffer.concat([fe.query('SELECT 1'), fe.query('SELECT 2'), fe.query('SELECT 3')]) },
    { from: 'response', bytes: Buffer.concat([be.rowDescription(1), Buffer.from([0x01, 0, 0, 0, 9])]) },
  ];
  const framed = frameSession(segments, [3]);
  assert.equal(framed.warnings.length, 1);
  const answered = framed.response.filter((message) => message.last && message.exchange !== 0).map((message) => message.exchange);
  assert.deepEqual(answered, [1, 2, 3, 4], 'an exchange was left waiting for an answer');
  assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
});

test('lengths out of range and unknown start-up codes are malformed, not trusted', () => {
  const cases: Array<[Direction, Buffer]> = [
    ['request', Buffer.concat([int32(3), int32(0)])],
    ['request', Buffer.concat([int32(20_000), int32(PROTOCOL_3)])],
    ['request', untyped(0x20000, cstr('user'), cstr('x'), Buffer.from([0]))],
    ['request', Buffer.concat([fe.startup(), Buffer.from('Q'), int32(2)])],
    ['request', Buffer.concat([fe.startup(), Buffer.from('Q'), int32(-5)])],
    ['request', Buffer.concat([fe.startup(), Buffer.from('Z'), int32(4)])],
    ['response', Buffer.concat([be.auth(0), Buffer.from('R'), int32(0x7fffffff)])],
  ];
  for (const [from, bytes] of cases) {
    const segments: Segment[] = from === 'response' ? [{ from: 'request', bytes: fe.startup() }, { from, bytes }] : [{ from, bytes }];
    const framed = frameSession(segments, []);
    assert.equal(framed.warnings.length, 1, `${bytes.toString('hex')}: ${framed.warnings.join('; ')}`);
    assert.ok(bytesOf(framed[from]).equals(bytes));
  }
});

// ---- the error reply and inject, read back by pg's parser -------------------------------------

interface Parsed {
  readonly name: string;
  readonly code?: string | undefined;
  readonly severity?: string | undefined;
  readonly message?: string | undefined;
  readonly status?: string | undefined;
}

/** The backend messages pg-protocol reads from `bytes`. */
async function parsed(bytes: Buffer): Promise<Parsed[]> {
  const out: Parsed[] = [];
  await parse(Readable.from([bytes]), (message) => {
    const fields = message as unknown as Parsed;
    out.push(message instanceof DatabaseError ? { name: 'error', code: fields.code, severity: fields.severity, message: fields.message } : { name: fields.name, ...(fields.status ? { status: fields.status } : {}) });
  });
  return out;
}

const requestWith = (info: MessageInfo, noReply = false): Message => ({ bytes: Buffer.alloc(0), direction: 'request', exchange: 3, first: true, last: true, info, ...(noReply ? { noReply } : {}) });

test('the error reply is an ErrorResponse with the SQLSTATE and a ReadyForQuery: idle stays idle, a transaction is failed', async () => {
  const rng = createRng(1);
  for (const [transaction, told] of [['I', 'I'], ['T', 'E'], ['E', 'E']] as const) {
    const reply = postgres.errorReply(requestWith({ command: 'Q', query: 'SELECT 1', transaction, sqlstate: '40001' }), rng);
    assert.equal(reply.close, false);
    assert.deepEqual(await parsed(reply.bytes), [
      { name: 'error', code: '40001', severity: 'ERROR', message: 'vaurien injected error' },
      { name: 'readyForQuery', status: told },
    ]);
  }
});

test('the error reply to a start-up or login is a FATAL error and a close; a Terminate gets nothing', async () => {
  const rng = createRng(1);
  for (const command of ['StartupMessage', 'SSLRequest', 'p']) {
    const reply = postgres.errorReply(requestWith({ command, sqlstate: '57P01' }), rng);
    assert.equal(reply.close, true);
    assert.deepEqual(await parsed(reply.bytes), [{ name: 'error', code: '57P01', severity: 'FATAL', message: 'vaurien injected error' }]);
  }
  assert.deepEqual(postgres.errorReply(requestWith({ command: 'X' }, true), rng), { bytes: Buffer.alloc(0), close: false });
  const unavailable = postgres.unavailableReply?.(undefined);
  assert.equal(unavailable?.close, true);
  assert.deepEqual(await parsed(unavailable?.bytes ?? Buffer.alloc(0)), [{ name: 'error', code: '08006', severity: 'FATAL', message: 'vaurien: backend unavailable' }]);
});

test('inject changes bytes inside a message and keeps its type and length, so the stream stays in step', () => {
  const corrupt = postgres.corrupt;
  assert.ok(corrupt !== undefined);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(be.rowDescription(3), be.complete('SELECT 1'), be.dataRow([Buffer.from('x')]), be.parseComplete(), Buffer.from('N')), (seed, bytes) => {
      const message: Message = { bytes, direction: 'response', exchange: 2, first: true, last: false };
      const out = corrupt(message, createRng(seed));
      assert.equal(out.bytes.length, bytes.length);
      assert.notDeepEqual(out.bytes, bytes);
      if (bytes.length > 5) {
        assert.equal(out.bytes[0], bytes[0], 'the type changed');
        assert.ok(out.bytes.subarray(1, 5).equals(bytes.subarray(1, 5)), 'the length changed');
      } else {
        assert.ok((out.bytes[0] as number) < 0x20, 'a body-less message gets a type no message has');
        assert.ok(out.bytes.subarray(1).equals(bytes.subarray(1)));
      }
    }),
    { numRuns: 200 },
  );
});
