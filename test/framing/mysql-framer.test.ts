// mysql framing on synthesized sessions: whatever the chunking, every packet lands in the
// exchange it belongs to with the right first/last, bytes come out unchanged, and garbage
// never throws. Sessions are generated (login variants, commands, result sets, prepared
// statements, LOCAL INFILE, auth switches) under the capabilities that change the framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction, Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { createRng } from '../../lib/rng.js';
import { mysql } from '../../plugins/protocols/mysql.js';
import { splitAt } from '../helpers/framing.js';

// ---- packet builders ------------------------------------------------------------------------

const PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_COMPRESS = 0x20;
const DEPRECATE_EOF = 0x1000000;
const BASE_CAPS = 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80 | PROTOCOL_41;
const SERVER_CAPS = BASE_CAPS | DEPRECATE_EOF | CLIENT_SSL | CLIENT_COMPRESS;
const PROGRESS = 0x1;
const CACHE_METADATA = 0x10;
const SERVER_EXT = PROGRESS | CACHE_METADATA | 0x4 | 0x8;
const MORE_RESULTS = 0x8;

function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence & 0xff;
  return Buffer.concat([header, payload]);
}

function lenenc(value: number): Buffer {
  if (value < 0xfb) return Buffer.from([value]);
  if (value < 0x10000) return Buffer.from([0xfc, value & 0xff, value >> 8]);
  const out = Buffer.alloc(4);
  out[0] = 0xfd;
  out.writeUIntLE(value, 1, 3);
  return out;
}

const lenencString = (text: string | Buffer): Buffer => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return Buffer.concat([lenenc(bytes.length), bytes]);
};
const u16 = (value: number): Buffer => Buffer.from([value & 0xff, value >> 8]);
const u32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return out;
};

function greetingPayload(capabilities = SERVER_CAPS, extended = SERVER_EXT): Buffer {
  return Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from('5.5.5-10.11.19-MariaDB\0'),
    u32(7),
    Buffer.from('abcdefgh'),
    Buffer.from([0]),
    u16(capabilities & 0xffff),
    Buffer.from([0x21]),
    u16(0x0002),
    u16(capabilities >>> 16),
    Buffer.from([21]),
    Buffer.alloc(6),
    u32(extended),
    Buffer.from('ijklmnopqrst\0'),
    Buffer.from('mysql_native_password\0'),
  ]);
}

function handshakeResponsePayload(capabilities: number, extended: number): Buffer {
  return Buffer.concat([
    u32(capabilities),
    u32(0x1000000),
    Buffer.from([0x21]),
    Buffer.alloc(19),
    u32(extended),
    Buffer.from('vaurien\0'),
    lenencString(Buffer.alloc(20, 0x5a)),
    Buffer.from('mysql_native_password\0'),
  ]);
}

const okPayload = (status = 0x0002, header = 0x00, affected = 0): Buffer =>
  Buffer.concat([Buffer.from([header]), lenenc(affected), lenenc(0), u16(status), u16(0)]);
const eofPayload = (status = 0x0002): Buffer => Buffer.concat([Buffer.from([0xfe]), u16(0), u16(status)]);
const errPayload = (code = 1064, message = 'syntax error'): Buffer => Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#42000${message}`)]);
const progressPayload = (): Buffer => Buffer.concat([Buffer.from([0xff]), u16(0xffff), Buffer.from([1, 1, 3, 0x10, 0x27, 0]), lenencString('stage')]);
const columnDefinition = (name: string): Buffer =>
  Buffer.concat([lenencString('def'), lenencString('chaos'), lenencString('t'), lenencString('t'), lenencString(name), lenencString(name), Buffer.from([0x0c]), u16(33), u32(255), Buffer.from([0xfd]), u16(0), Buffer.from([0, 0, 0])]);
const command = (code: number, body: string | Buffer = ''): Buffer => Buffer.concat([Buffer.from([code]), Buffer.isBuffer(body) ? body : Buffer.from(body)]);

// ---- sessions: segments of wire bytes with the stamps each packet must get ------------------

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

/** Capabilities a generated session runs with. */
interface Caps {
  readonly deprecateEof: boolean;
  readonly cacheMetadata: boolean;
  readonly progress: boolean;
}

class Script {
  readonly segments: Segment[] = [];
  readonly expected: Expect[] = [];
  private exchange = 0;
  /** The sequence id the next packet takes. */
  sequence = 0;

  constructor(readonly caps: Caps) {}

  /** Client packets of one new request (sequence from `sequence`), as one segment. */
  request(payloads: Buffer[], command: string, sequence = 0, noReply = false): number {
    const exchange = ++this.exchange;
    this.sequence = sequence;
    const bytes = payloads.map((payload, index) => {
      this.expected.push({ direction: 'request', exchange, first: index === 0, last: index === payloads.length - 1, command });
      return packet(this.sequence++, payload);
    });
    this.segments.push({ from: 'request', bytes: Buffer.concat(bytes) });
    if (noReply) this.sequence = 0;
    return exchange;
  }

  /** Server packets answering the latest request; `opens`/`closes`: this segment starts/ends the answer. */
  answer(payloads: Buffer[], opens = true, closes = true, exchange = this.exchange): void {
    const bytes = payloads.map((payload, index) => {
      this.expected.push({ direction: 'response', exchange, first: opens && index === 0, last: closes && index === payloads.length - 1 });
      return packet(this.sequence++, payload);
    });
    this.segments.push({ from: 'response', bytes: Buffer.concat(bytes) });
  }

  /** The greeting: an exchange opened by the server. */
  greeting(payload: Buffer): void {
    const exchange = ++this.exchange;
    this.sequence = 0;
    this.answer([payload], true, true, exchange);
  }

  /** Client packets outside any exchange (a LOCAL INFILE's contents). */
  outside(payloads: Buffer[]): void {
    const bytes = payloads.map((payload) => {
      this.expected.push({ direction: 'request', exchange: 0, first: true, last: true, command: 'LOCAL_INFILE_DATA' });
      return packet(this.sequence++, payload);
    });
    this.segments.push({ from: 'request', bytes: Buffer.concat(bytes) });
  }

  /** The packets of one result set (text or binary rows). */
  resultSet(columns: number, rows: number, binary: boolean, status: number, skipMetadata = false): Buffer[] {
    const { deprecateEof, cacheMetadata } = this.caps;
    const count = cacheMetadata ? Buffer.concat([lenenc(columns), Buffer.from([skipMetadata ? 0 : 1])]) : lenenc(columns);
    const definitions = cacheMetadata && skipMetadata ? [] : Array.from({ length: columns }, (_, i) => columnDefinition(`c${i}`));
    const row = (r: number): Buffer =>
      binary
        ? Buffer.concat([Buffer.from([0x00]), Buffer.alloc((columns + 9) >> 3), ...Array.from({ length: columns }, (_, c) => lenencString(`${r}:${c}`))])
        : Buffer.concat(Array.from({ length: columns }, (_, c) => (c === 0 && r % 3 === 0 ? Buffer.from([0xfb]) : lenencString(r % 4 === 1 ? '' : `${r}:${c}`))));
    return [
      count,
      ...definitions,
      ...(deprecateEof ? [] : [eofPayload()]),
      ...Array.from({ length: rows }, (_, r) => row(r)),
      deprecateEof ? okPayload(status, 0xfe) : eofPayload(status),
    ];
  }

  /** COM_STMT_PREPARE's answer. */
  prepared(params: number, columns: number): Buffer[] {
    const eof = this.caps.deprecateEof ? [] : [eofPayload()];
    const ok = Buffer.concat([Buffer.from([0]), u32(1), u16(columns), u16(params), Buffer.from([0]), u16(0)]);
    return [
      ok,
      ...Array.from({ length: params }, () => columnDefinition('?')),
      ...(params > 0 ? eof : []),
      ...Array.from({ length: columns }, (_, i) => columnDefinition(`c${i}`)),
      ...(columns > 0 ? eof : []),
    ];
  }
}

type Login = 'ok' | 'switch' | 'fast-auth' | 'more-data';

type Interaction =
  | { kind: 'query-ok'; results: number }
  | { kind: 'query-result'; columns: number; rows: number; more: number; skipMetadata: boolean }
  | { kind: 'query-error'; midRows: boolean }
  | { kind: 'prepare'; params: number; columns: number; failed: boolean }
  | { kind: 'execute'; columns: number; rows: number }
  | { kind: 'no-reply'; code: 0x18 | 0x19 }
  | { kind: 'single'; code: 0x02 | 0x09 | 0x0e | 0x1a | 0x1b | 0x1f }
  | { kind: 'field-list'; columns: number }
  | { kind: 'change-user'; switched: boolean }
  | { kind: 'local-infile'; packets: number }
  | { kind: 'progress'; reports: number }
  | { kind: 'cursor'; columns: number; fetches: number };

const interaction: fc.Arbitrary<Interaction> = fc.oneof(
  fc.record({ kind: fc.constant('query-ok' as const), results: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant('query-result' as const),
    columns: fc.integer({ min: 1, max: 5 }),
    rows: fc.integer({ min: 0, max: 12 }),
    more: fc.integer({ min: 0, max: 2 }),
    skipMetadata: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('query-error' as const), midRows: fc.boolean() }),
  fc.record({ kind: fc.constant('prepare' as const), params: fc.integer({ min: 0, max: 3 }), columns: fc.integer({ min: 0, max: 3 }), failed: fc.boolean() }),
  fc.record({ kind: fc.constant('execute' as const), columns: fc.integer({ min: 0, max: 3 }), rows: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('no-reply' as const), code: fc.constantFrom(0x18 as const, 0x19 as const) }),
  fc.record({ kind: fc.constant('single' as const), code: fc.constantFrom(0x02 as const, 0x09 as const, 0x0e as const, 0x1a as const, 0x1b as const, 0x1f as const) }),
  fc.record({ kind: fc.constant('field-list' as const), columns: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('change-user' as const), switched: fc.boolean() }),
  fc.record({ kind: fc.constant('local-infile' as const), packets: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('progress' as const), reports: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('cursor' as const), columns: fc.integer({ min: 1, max: 3 }), fetches: fc.integer({ min: 0, max: 2 }) }),
);

const COMMAND_NAMES: Record<number, string> = {
  0x02: 'COM_INIT_DB',
  0x03: 'COM_QUERY',
  0x04: 'COM_FIELD_LIST',
  0x09: 'COM_STATISTICS',
  0x0e: 'COM_PING',
  0x11: 'COM_CHANGE_USER',
  0x16: 'COM_STMT_PREPARE',
  0x17: 'COM_STMT_EXECUTE',
  0x18: 'COM_STMT_SEND_LONG_DATA',
  0x19: 'COM_STMT_CLOSE',
  0x1a: 'COM_STMT_RESET',
  0x1b: 'COM_SET_OPTION',
  0x1c: 'COM_STMT_FETCH',
  0x1f: 'COM_RESET_CONNECTION',
};

function buildSession(caps: Caps, login: Login, interactions: readonly Interaction[]): Script {
  const script = new Script(caps);
  const clientCaps = BASE_CAPS | (caps.deprecateEof ? DEPRECATE_EOF : 0);
  const clientExt = (caps.cacheMetadata ? CACHE_METADATA : 0) | (caps.progress ? PROGRESS : 0);
  script.greeting(greetingPayload());
  script.request([handshakeResponsePayload(clientCaps, clientExt)], 'HANDSHAKE_RESPONSE', 1);
  authenticate(script, login);
  for (const step of interactions) addInteraction(script, caps, step);
  script.request([command(0x01)], 'COM_QUIT', 0, true);
  return script;
}

/** The server's side of a login or COM_CHANGE_USER, with the client's auth switch answers. */
function authenticate(script: Script, login: Login | 'switched' | 'direct'): void {
  if (login === 'ok' || login === 'direct') return script.answer([okPayload()]);
  if (login === 'fast-auth') return script.answer([Buffer.from([0x01, 0x03]), okPayload()]);
  script.answer([Buffer.concat([Buffer.from([0xfe]), Buffer.from('client_ed25519\0'), Buffer.alloc(32, 7)])]);
  script.request([Buffer.alloc(64, 9)], 'AUTH_SWITCH_RESPONSE', script.sequence);
  if (login === 'more-data') {
    script.answer([Buffer.concat([Buffer.from([0x01]), Buffer.from('-----BEGIN PUBLIC KEY-----')])]);
    script.request([Buffer.alloc(256, 3)], 'AUTH_SWITCH_RESPONSE', script.sequence);
  }
  script.answer([okPayload()]);
}

function addInteraction(script: Script, caps: Caps, step: Interaction): void {
  const name = (code: number): string => COMMAND_NAMES[code] ?? '?';
  switch (step.kind) {
    case 'query-ok': {
      script.request([command(0x03, 'INSERT 1; INSERT 2')], name(0x03));
      const oks = Array.from({ length: step.results }, (_, i) => okPayload(i < step.results - 1 ? MORE_RESULTS | 2 : 2, 0, i));
      return script.answer(oks);
    }
    case 'query-result': {
      script.request([command(0x03, 'SELECT * FROM t')], name(0x03));
      const packets: Buffer[] = [];
      for (let result = 0; result <= step.more; result++) {
        const status = result < step.more ? MORE_RESULTS | 2 : 2;
        packets.push(...script.resultSet(step.columns, step.rows, false, status, step.skipMetadata && result === 0));
      }
      return script.answer(packets);
    }
    case 'query-error': {
      script.request([command(0x03, 'SELEKT')], name(0x03));
      if (!step.midRows) return script.answer([errPayload()]);
      const rows = script.resultSet(2, 3, false, 2);
      return script.answer([...rows.slice(0, -1), errPayload(1317, 'interrupted')]);
    }
    case 'prepare':
      script.request([command(0x16, 'SELECT ? FROM t')], name(0x16));
      return script.answer(step.failed ? [errPayload()] : script.prepared(step.params, step.columns));
    case 'execute':
      script.request([command(0x17, Buffer.from([1, 0, 0, 0, 0, 1, 0, 0, 0]))], name(0x17));
      return script.answer(step.columns === 0 ? [okPayload(2, 0, 1)] : script.resultSet(step.columns, step.rows, true, 2));
    case 'no-reply':
      script.request([command(step.code, Buffer.from([1, 0, 0, 0]))], name(step.code), 0, true);
      return;
    case 'single':
      script.request([command(step.code, step.code === 0x02 ? 'chaos' : step.code === 0x1b ? Buffer.from([1, 0]) : '')], name(step.code));
      return script.answer([step.code === 0x09 ? Buffer.from('Uptime: 5  Threads: 1  Questions: 9') : step.code === 0x1b && !caps.deprecateEof ? eofPayload() : okPayload()]);
    case 'field-list': {
      script.request([command(0x04, 't\0')], name(0x04));
      const definitions = Array.from({ length: step.columns }, (_, i) => columnDefinition(`f${i}`));
      return script.answer([...definitions, caps.deprecateEof ? okPayload(2, 0xfe) : eofPayload()]);
    }
    case 'change-user':
      script.request([command(0x11, 'edward\0\x14aaaaaaaaaaaaaaaaaaaachaos\0')], name(0x11));
      return authenticate(script, step.switched ? 'switched' : 'direct');
    case 'local-infile': {
      script.request([command(0x03, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t")], name(0x03));
      script.answer([Buffer.from("\xfbf", 'latin1')], true, false);
      script.outside([...Array.from({ length: step.packets }, (_, i) => Buffer.from(`line ${i}\n`)), Buffer.alloc(0)]);
      return script.answer([okPayload(2, 0, step.packets)], false, true);
    }
    case 'cursor': {
      // COM_STMT_EXECUTE with a cursor: the answer ends at the EOF flagged SERVER_STATUS_CURSOR_EXISTS
      // (without CLIENT_DEPRECATE_EOF); rows come through COM_STMT_FETCH, each ending at an EOF/OK.
      if (caps.deprecateEof) return;
      script.request([command(0x17, Buffer.from([1, 0, 0, 0, 1, 1, 0, 0, 0]))], name(0x17));
      const definitions = Array.from({ length: step.columns }, (_, i) => columnDefinition(`c${i}`));
      const count = caps.cacheMetadata ? Buffer.concat([lenenc(step.columns), Buffer.from([1])]) : lenenc(step.columns);
      script.answer([count, ...definitions, eofPayload(0x40 | 2)]);
      for (let fetch = 0; fetch < step.fetches; fetch++) {
        script.request([command(0x1c, Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]))], name(0x1c));
        const rows = Array.from({ length: 2 }, (_, r) => Buffer.concat([Buffer.from([0x00, 0x00]), lenencString(`row${r}`)]));
        script.answer([...rows, eofPayload(fetch === step.fetches - 1 ? 0x80 | 2 : 0x40 | 2)]);
      }
      return;
    }
    case 'progress': {
      script.request([command(0x03, 'ALTER TABLE t ENGINE=InnoDB')], name(0x03));
      if (!caps.progress) return script.answer([okPayload()]);
      return script.answer([...Array.from({ length: step.reports }, progressPayload), okPayload()]);
    }
  }
}

// ---- a connection-like harness for both framers ----------------------------------------------

interface Framed {
  readonly request: Message[];
  readonly response: Message[];
  readonly all: Message[];
  /** Exchanges opened as the connection's handshake (`openExchange({ handshake: true })`). */
  readonly handshakes: number[];
}

/** Frames `segments` in order, each split at `cuts`, the way a connection's two pipelines would. */
function frameSession(segments: readonly Segment[], cuts: readonly number[], buffer = 1 << 20, log: Logger = silentLogger): Framed {
  const forwarded: ForwardedRequest[] = [];
  const handshakes: number[] = [];
  let latest = 0;
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
  const options = { buffer, keep_alive: false, reuse_socket: false, handshake: false };
  const framers = mysql.createFramers(options, context);
  const out: Framed = { request: [], response: [], all: [], handshakes };
  const take = (messages: Iterable<Message>): void => {
    for (const message of messages) {
      out[message.direction].push(message);
      out.all.push(message);
      // What the connection's request writer does when a request's first bytes go out.
      if (message.direction === 'request' && message.first && message.exchange !== 0 && message.noReply !== true) {
        forwarded.push({ exchange: message.exchange, info: message.info });
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

const caps: fc.Arbitrary<Caps> = fc.record({ deprecateEof: fc.boolean(), cacheMetadata: fc.boolean(), progress: fc.boolean() });
const login: fc.Arbitrary<Login> = fc.constantFrom('ok', 'switch', 'fast-auth', 'more-data');
const sessions = fc.tuple(caps, login, fc.array(interaction, { maxLength: 12 })).map(([c, l, steps]) => buildSession(c, l, steps));

// ---- tests -----------------------------------------------------------------------------------

test('any chunking of a generated session stamps every packet with its exchange, first and last', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 30 }), (script, cuts) => {
      const framed = frameSession(script.segments, cuts);
      assert.deepEqual(framed.all.map(shapeOf), script.expected);
      assert.ok(bytesOf(framed.request).equals(inputOf(script.segments, 'request')));
      assert.ok(bytesOf(framed.response).equals(inputOf(script.segments, 'response')));
    }),
    { numRuns: 300 },
  );
});

test('with a small buffer, packets stream as pieces at the same boundaries whatever the chunking', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 300 }), (script, cuts, buffer) => {
      const whole = frameSession(script.segments, [], buffer);
      const chunked = frameSession(script.segments, cuts, buffer);
      assert.deepEqual(chunked.all.map((message) => [message.bytes.toString('hex'), shapeOf(message)]), whole.all.map((message) => [message.bytes.toString('hex'), shapeOf(message)]));
      assert.ok(bytesOf(chunked.request).equals(inputOf(script.segments, 'request')));
      assert.ok(bytesOf(chunked.response).equals(inputOf(script.segments, 'response')));
      // Same exchanges, first and last as with whole packets, once the pieces are joined back.
      const full = frameSession(script.segments, []);
      const edges = (messages: readonly Message[]): string[] => messages.filter((message) => message.first || message.last).map((message) => `${message.direction}${message.exchange}${message.first}${message.last}`);
      assert.deepEqual(edges(chunked.all.filter((m) => m.exchange !== 0)), edges(full.all.filter((m) => m.exchange !== 0)));
      // A message is at most `buffer` bytes, except a first piece, which holds enough to classify its packet.
      for (const message of chunked.all) assert.ok(message.bytes.length <= Math.max(buffer, 4 + 256));
    }),
    { numRuns: 200 },
  );
});

test('the greeting, the login packet and every auth switch answer are handshake exchanges; commands are not', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.nat(), { maxLength: 30 }), (script, cuts) => {
      const framed = frameSession(script.segments, cuts);
      const login = new Set(['HANDSHAKE_RESPONSE', 'AUTH_SWITCH_RESPONSE']);
      const expected = [1, ...script.expected.filter((e) => e.direction === 'request' && e.first && login.has(e.command ?? '')).map((e) => e.exchange)];
      assert.deepEqual(framed.handshakes, expected);
    }),
    { numRuns: 100 },
  );
});

test('requests carry their command name and the sequence id the answer follows', () => {
  const script = buildSession({ deprecateEof: false, cacheMetadata: false, progress: false }, 'switch', [
    { kind: 'single', code: 0x0e },
    { kind: 'prepare', params: 1, columns: 1, failed: false },
  ]);
  const framed = frameSession(script.segments, []);
  const firsts = framed.request.filter((message) => message.first && message.exchange !== 0).map((message) => message.info);
  assert.deepEqual(firsts, [
    { command: 'HANDSHAKE_RESPONSE', sequence: 1 },
    { command: 'AUTH_SWITCH_RESPONSE', sequence: 3 },
    { command: 'COM_PING', sequence: 0 },
    { command: 'COM_STMT_PREPARE', sequence: 0 },
    { command: 'COM_QUIT', sequence: 0 },
  ]);
  const quit = framed.request.at(-1);
  assert.equal(quit?.noReply, true, 'COM_QUIT gets no answer');
});

test('a 16 MiB+ command and a 16 MiB+ row stream as pieces and keep their exchange to the end', () => {
  const caps: Caps = { deprecateEof: true, cacheMetadata: false, progress: false };
  const script = buildSession(caps, 'ok', []);
  const segments = script.segments.slice(0, -1); // without the QUIT
  // A COM_QUERY of 0xFFFFFF + 10 payload bytes: two packets (sequence 0 and 1).
  const query = Buffer.alloc(0xffffff + 10, 0x41);
  query[0] = 0x03;
  segments.push({ from: 'request', bytes: Buffer.concat([packet(0, query.subarray(0, 0xffffff)), packet(1, query.subarray(0xffffff))]) });
  // Its answer: one column, one text row of 0xFFFFFF + 100 bytes (starts with 0xFE: an 8-byte length).
  const rowPayload = Buffer.alloc(0xffffff + 100, 0x42);
  rowPayload[0] = 0xfe;
  const answer = Buffer.concat([
    packet(2, lenenc(1)),
    packet(3, columnDefinition('b')),
    packet(4, rowPayload.subarray(0, 0xffffff)),
    packet(5, rowPayload.subarray(0xffffff)),
    packet(6, okPayload(2, 0xfe)),
  ]);
  segments.push({ from: 'response', bytes: answer });
  segments.push({ from: 'request', bytes: packet(0, command(0x0e)) });
  segments.push({ from: 'response', bytes: packet(1, okPayload()) });
  const framed = frameSession(segments, [65536 * 3 + 7, 65536 * 100, 0xffffff + 3, 0xffffff + 4 + 5], 65536);
  const big = framed.request.filter((message) => message.exchange === 3);
  assert.ok(big.length > 256, `the command streamed as ${big.length} messages`);
  assert.ok(big.every((message) => message.bytes.length <= 65536));
  assert.deepEqual([big[0]?.first, big.at(-1)?.last, big.filter((m) => m.last).length], [true, true, 1]);
  const answerMessages = framed.response.filter((message) => message.exchange === 3);
  assert.equal(bytesOf(answerMessages).length, answer.length);
  assert.deepEqual(answerMessages.map((m) => m.last).lastIndexOf(true), answerMessages.length - 1);
  assert.equal(answerMessages.filter((m) => m.last).length, 1);
  const ping = framed.all.filter((message) => message.exchange === 4);
  assert.deepEqual(ping.map(shapeOf), [
    { direction: 'request', exchange: 4, first: true, last: true, command: 'COM_PING' },
    { direction: 'response', exchange: 4, first: true, last: true },
  ]);
  assert.equal(framed.request.find((m) => m.exchange === 3)?.info?.['sequence'], 1, 'the request info ends on its last packet');
});

test('an SSLRequest vaurien does not terminate is a handshake request; both directions then pass raw, without a warning', () => {
  const warnings: string[] = [];
  const log = { ...silentLogger, warning: (line: string) => warnings.push(line) };
  const sslRequest = handshakeResponsePayload(BASE_CAPS | CLIENT_SSL, 0).subarray(0, 32);
  const segments: Segment[] = [
    { from: 'response', bytes: packet(0, greetingPayload()) },
    { from: 'request', bytes: packet(1, sslRequest) },
    { from: 'request', bytes: Buffer.from('160301020001', 'hex') },
    { from: 'response', bytes: Buffer.from('16030300', 'hex') },
    { from: 'request', bytes: Buffer.from('170303', 'hex') },
  ];
  const framed = frameSession(segments, [1, 2, 3], 1 << 20, log);
  assert.equal(framed.all[0]?.exchange, 1, 'the greeting is an exchange');
  // The SSL request: a request without an answer, part of the handshake (as PostgreSQL's SSLRequest is).
  assert.deepEqual([framed.all[1]?.exchange, framed.all[1]?.noReply, framed.all[1]?.info?.['command']], [2, true, 'SSL_REQUEST']);
  assert.ok(framed.all.slice(2).every((message) => message.exchange === 0), 'everything after the SSLRequest passes raw');
  assert.ok(bytesOf(framed.request).equals(inputOf(segments, 'request')));
  assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
  assert.deepEqual(warnings, []);
});

test('agreed compression turns the connection raw from the HandshakeResponse on', () => {
  const segments: Segment[] = [
    { from: 'response', bytes: packet(0, greetingPayload()) },
    { from: 'request', bytes: packet(1, handshakeResponsePayload(BASE_CAPS | CLIENT_COMPRESS, 0)) },
    { from: 'response', bytes: packet(2, okPayload()) },
    { from: 'request', bytes: Buffer.from('0a00000000000003', 'hex') },
  ];
  const framed = frameSession(segments, []);
  assert.deepEqual(framed.all.map((message) => message.exchange), [1, 0, 0, 0]);
});

test('a packet out of sequence is logged once and the rest passes raw, the open exchange closed', () => {
  const warnings: string[] = [];
  const log = { ...silentLogger, warning: (line: string) => warnings.push(line) };
  const script = buildSession({ deprecateEof: false, cacheMetadata: false, progress: false }, 'ok', []);
  const segments = script.segments.slice(0, -1);
  segments.push({ from: 'request', bytes: packet(0, command(0x03, 'SELECT 1')) });
  segments.push({ from: 'response', bytes: Buffer.concat([packet(1, lenenc(1)), packet(7, columnDefinition('a'))]) });
  segments.push({ from: 'request', bytes: packet(0, command(0x0e)) });
  const framed = frameSession(segments, [], 1 << 20, log);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /sequence/);
  const answer = framed.response.filter((message) => message.exchange === 3);
  assert.deepEqual(answer.map((m) => [m.first, m.last, m.bytes.length]), [[true, false, 5], [false, true, 0]]);
  assert.equal(framed.request.at(-1)?.exchange, 0, 'later requests pass outside any exchange');
  assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
});

test('random garbage in both directions never throws and comes out byte for byte', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ from: fc.constantFrom<Direction>('request', 'response'), bytes: fc.uint8Array({ maxLength: 600 }) }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.integer({ min: 1, max: 4096 }),
      (parts, cuts, buffer) => {
        const segments = parts.map((part) => ({ from: part.from, bytes: Buffer.from(part.bytes) }));
        const framed = frameSession(segments, cuts, buffer);
        assert.ok(bytesOf(framed.request).equals(inputOf(segments, 'request')));
        assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
      },
    ),
    { numRuns: 500 },
  );
});

test('a valid session followed by garbage never throws and loses no byte', () => {
  fc.assert(
    fc.property(sessions, fc.array(fc.record({ from: fc.constantFrom<Direction>('request', 'response'), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 20 }), (script, garbage, cuts) => {
      const segments = [...script.segments.slice(0, -1), ...garbage.map((part) => ({ from: part.from, bytes: Buffer.from(part.bytes) }))];
      const framed = frameSession(segments, cuts);
      assert.ok(bytesOf(framed.request).equals(inputOf(segments, 'request')));
      assert.ok(bytesOf(framed.response).equals(inputOf(segments, 'response')));
    }),
    { numRuns: 200 },
  );
});

// ---- error replies and corruption --------------------------------------------------------------

const rng = createRng(7);
const message = (bytes: Buffer, info?: Record<string, string | number>, noReply?: boolean): Message => ({
  bytes,
  direction: 'request',
  exchange: 2,
  first: true,
  last: true,
  ...(info === undefined ? {} : { info }),
  ...(noReply === undefined ? {} : { noReply }),
});

test('an error reply to a command is an ERR packet 1105/HY000 with the next sequence id, and keeps the connection', () => {
  const reply = mysql.errorReply(message(packet(0, command(0x03, 'SELECT 1')), { command: 'COM_QUERY', sequence: 0 }), rng);
  assert.equal(reply.close, false);
  const payload = reply.bytes.subarray(4);
  assert.equal(reply.bytes.readUIntLE(0, 3), payload.length);
  assert.equal(reply.bytes[3], 1);
  assert.equal(payload[0], 0xff);
  assert.equal(payload.readUInt16LE(1), 1105);
  assert.equal(payload.subarray(3, 9).toString(), '#HY000');
  assert.equal(payload.subarray(9).toString(), 'vaurien injected error');
  // A request of three packets: the answer follows the last one.
  assert.equal(mysql.errorReply(message(Buffer.alloc(4), { command: 'COM_QUERY', sequence: 2 }), rng).bytes[3], 3);
});

test('an error during login closes; on the greeting it is a pre-4.1 ERR with sequence 0', () => {
  const login = mysql.errorReply(message(Buffer.alloc(4), { command: 'HANDSHAKE_RESPONSE', sequence: 1 }), rng);
  assert.deepEqual([login.close, login.bytes[3]], [true, 2]);
  const greeting = mysql.errorReply(undefined, rng);
  assert.deepEqual([greeting.close, greeting.bytes[3], greeting.bytes[4], greeting.bytes.readUInt16LE(5)], [true, 0, 0xff, 1105]);
  assert.equal(greeting.bytes.subarray(7).toString(), 'vaurien injected error');
});

test('an error on a command the server never answers sends nothing', () => {
  const reply = mysql.errorReply(message(packet(0, command(0x19, Buffer.from([1, 0, 0, 0]))), { command: 'COM_STMT_CLOSE', sequence: 0 }, true), rng);
  assert.deepEqual([reply.bytes.length, reply.close], [0, false]);
});

test('inject changes payload bytes only: the header, and so the framing, stays intact', () => {
  const corrupt = mysql.corrupt;
  assert.ok(corrupt !== undefined);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (payload, seed) => {
      const original = packet(3, Buffer.from(payload));
      const out = corrupt({ ...message(original), direction: 'response' }, createRng(seed));
      assert.equal(out.bytes.length, original.length);
      assert.ok(out.bytes.subarray(0, 4).equals(original.subarray(0, 4)));
      assert.ok(!out.bytes.equals(original));
      assert.ok(original.equals(packet(3, Buffer.from(payload))), 'the original message is not touched');
    }),
  );
});
