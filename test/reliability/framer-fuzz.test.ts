// Every framer, fed endless or oversized frames (a header line that never ends, a RESP length
// of endless digits, a 2 GB value, a 16 MiB packet…), holds at most a bounded number of bytes:
// what it has not emitted yet never grows with the input. And random or truncated input, in
// any chunking, never throws out of push/end and comes out byte for byte (a fixed seed, printed;
// VAURIEN_FUZZ_SEED=N replays or explores, VAURIEN_FUZZ_RUNS=N lengthens the run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction, Message } from '../../lib/contract/message.js';
import { defaultsOf } from '../../lib/contract/options.js';
import type { Framer } from '../../lib/contract/protocol.js';
import { Protocol } from '../../lib/registry/protocols.js';
import '../../plugins/index.js';
import { splitAt, testFramerContext } from '../helpers/framing.js';
import { CORPUS, trafficOf, type Step } from '../helpers/protocol-corpus.js';

/** Fixed, so a failure replays: printed with each run; VAURIEN_FUZZ_SEED explores others. */
const SEED = Number(process.env['VAURIEN_FUZZ_SEED'] ?? 4_242_001);
const RUNS = Number(process.env['VAURIEN_FUZZ_RUNS'] ?? 300);

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Both framers of one connection, wired as the connection wires them: exchanges numbered by
 * one counter, and every request's first message "forwarded", so responses pair with it.
 */
function connectionFramers(protocolName: string): { push(direction: Direction, chunk: Buffer): Message[]; end(direction: Direction): Message[] } {
  const protocol = Protocol.require(protocolName, 'protocol');
  const options = defaultsOf(protocol.options);
  const context = testFramerContext();
  const { forwarded } = context;
  const framers: Record<Direction, Framer> = protocol.createFramers(options, context);
  let lastForwarded = 0;
  const track = (messages: Iterable<Message>): Message[] => {
    const out = [...messages];
    for (const message of out) {
      if (message.direction === 'request' && message.exchange !== 0 && message.exchange !== lastForwarded && message.noReply !== true) {
        lastForwarded = message.exchange;
        forwarded.push({ exchange: message.exchange, info: message.info });
      }
    }
    return out;
  };
  return {
    push: (direction, chunk) => track(framers[direction].push(chunk)),
    end: (direction) => track(framers[direction].end()),
  };
}

interface Endless {
  readonly protocol: string;
  readonly what: string;
  /** Valid traffic first (request, then response), so the endless part is framed where it matters. */
  readonly before?: ReadonlyArray<readonly [Direction, string]>;
  readonly direction: Direction;
  readonly prefix: string;
  /** Repeated forever after the prefix. */
  readonly filler: string;
  /** Most bytes the framer may hold back. */
  readonly limit: number;
}

/** A postgres start-up, its trust login answered, and a query: where the endless postgres inputs begin. */
const PG_STARTUP = '\x00\x00\x00\x16\x00\x03\x00\x00user\x00vaurien\x00\x00';
const PG_READY = 'R\x00\x00\x00\x08\x00\x00\x00\x00Z\x00\x00\x00\x05I';
const PG_COPY = 'Q\x00\x00\x00\x16COPY t FROM STDIN\x00';

/** Bytes per pushed chunk: small, so a buffer that grows shows before any cap is crossed. */
const CHUNK_BYTES = 4 * KiB;
const LINE_LIMIT = 64 * KiB + CHUNK_BYTES; // a 64 KiB line cap plus the chunk that crosses it
const endless: Endless[] = [
  { protocol: 'tcp', what: 'bytes', direction: 'request', prefix: '', filler: 'a', limit: 0 },
  { protocol: 'http', what: 'request line', direction: 'request', prefix: 'GET /', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'header line', direction: 'request', prefix: 'GET / HTTP/1.1\r\nX-Long: ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'header count', direction: 'request', prefix: 'GET / HTTP/1.1\r\n', filler: 'X: y\r\n', limit: LINE_LIMIT },
  { protocol: 'http', what: 'chunk-size line', direction: 'request', prefix: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1', filler: ';', limit: LINE_LIMIT },
  { protocol: 'http', what: 'chunk-size digits', direction: 'request', prefix: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', filler: 'f', limit: LINE_LIMIT },
  { protocol: 'http', what: 'body of a huge Content-Length', direction: 'request', prefix: 'POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'status line', before: [['request', 'GET / HTTP/1.1\r\n\r\n']], direction: 'response', prefix: 'HTTP/1.1 200 ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'response header line', before: [['request', 'GET / HTTP/1.1\r\n\r\n']], direction: 'response', prefix: 'HTTP/1.1 200 OK\r\nX-Long: ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'body until close', before: [['request', 'GET / HTTP/1.1\r\n\r\n']], direction: 'response', prefix: 'HTTP/1.1 200 OK\r\n\r\n', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'http', what: 'chunked response', before: [['request', 'GET / HTTP/1.1\r\n\r\n']], direction: 'response', prefix: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', filler: '4\r\nabcd\r\n', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'inline command', direction: 'request', prefix: '', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'array length digits', direction: 'request', prefix: '*', filler: '1', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'bulk length digits', direction: 'request', prefix: '*1\r\n$', filler: '9', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'bulk of 999 999 999 bytes', direction: 'request', prefix: '*2\r\n$3\r\nSET\r\n$999999999\r\n', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'array of endless elements', direction: 'request', prefix: '*999999999\r\n', filler: '$1\r\na\r\n', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'simple string reply', before: [['request', '*1\r\n$4\r\nPING\r\n']], direction: 'response', prefix: '+', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'error reply', before: [['request', '*1\r\n$4\r\nPING\r\n']], direction: 'response', prefix: '-ERR ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'nested arrays', before: [['request', '*1\r\n$4\r\nPING\r\n']], direction: 'response', prefix: '', filler: '*1\r\n', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'huge array reply', before: [['request', '*1\r\n$4\r\nKEYS\r\n']], direction: 'response', prefix: '*999999999\r\n', filler: '+k\r\n', limit: LINE_LIMIT },
  { protocol: 'redis', what: 'verbatim string of 999 999 999 bytes', before: [['request', '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n'], ['response', '%0\r\n'], ['request', '*1\r\n$4\r\nINFO\r\n']], direction: 'response', prefix: '=999999999\r\ntxt:', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'memcache', what: 'request line', direction: 'request', prefix: 'get ', filler: 'a', limit: 8 * MiB + CHUNK_BYTES },
  { protocol: 'memcache', what: 'data block of 2 GB', direction: 'request', prefix: 'set k 0 0 2000000000\r\n', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'memcache', what: 'answer line', before: [['request', 'get k\r\n']], direction: 'response', prefix: 'VALUE ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'memcache', what: 'value of 2 GB', before: [['request', 'get k\r\n']], direction: 'response', prefix: 'VALUE k 0 2000000000\r\n', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'memcache', what: 'stats lines', before: [['request', 'stats\r\n']], direction: 'response', prefix: '', filler: 'STAT x 1\r\n', limit: LINE_LIMIT },
  { protocol: 'smtp', what: 'greeting line', direction: 'response', prefix: '220 ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'smtp', what: 'multi-line greeting', direction: 'response', prefix: '', filler: '220-mail.example\r\n', limit: LINE_LIMIT },
  { protocol: 'smtp', what: 'command line', before: [['response', '220 hi\r\n']], direction: 'request', prefix: 'EHLO ', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'smtp', what: 'DATA body', before: [['response', '220 hi\r\n'], ['request', 'DATA\r\n'], ['response', '354 go\r\n']], direction: 'request', prefix: '', filler: 'line of mail\r\n', limit: LINE_LIMIT },
  { protocol: 'smtp', what: 'EHLO reply lines', before: [['response', '220 hi\r\n'], ['request', 'EHLO x\r\n']], direction: 'response', prefix: '', filler: '250-EXTENSION\r\n', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'start-up packet', direction: 'request', prefix: '\x00\x00\x27\x10\x00\x03\x00\x00', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'Query of 1 GiB', before: [['request', PG_STARTUP]], direction: 'request', prefix: 'Q\x3f\xff\xff\xff', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'CopyData messages', before: [['request', PG_STARTUP], ['response', PG_READY], ['request', PG_COPY], ['response', 'G\x00\x00\x00\x07\x00\x00\x00']], direction: 'request', prefix: '', filler: 'd\x00\x00\x00\x08row\n', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'DataRow of 1 GiB', before: [['request', PG_STARTUP], ['response', PG_READY], ['request', PG_COPY]], direction: 'response', prefix: 'D\x3f\xff\xff\xff', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'stream of DataRows', before: [['request', PG_STARTUP], ['response', PG_READY], ['request', PG_COPY]], direction: 'response', prefix: '', filler: 'D\x00\x00\x00\x06\x00\x00', limit: LINE_LIMIT },
  { protocol: 'postgres', what: 'notifications between answers', before: [['request', PG_STARTUP], ['response', PG_READY]], direction: 'response', prefix: '', filler: 'A\x00\x00\x00\x0e\x00\x00\x00\x01ch\x00hi\x00', limit: LINE_LIMIT },
  { protocol: 'mysql', what: 'greeting of 16 MiB', direction: 'response', prefix: '\xff\xff\xff\x00\x0a', filler: 'a', limit: LINE_LIMIT },
  { protocol: 'mysql', what: 'continued packets', direction: 'response', prefix: '', filler: 'a', limit: LINE_LIMIT },
];

/** Feeds `total` bytes of the endless input in CHUNK_BYTES chunks; returns the most bytes ever held back. */
function mostHeld(entry: Endless, total: number): number {
  const framers = connectionFramers(entry.protocol);
  const emitted = (messages: Message[]): number => messages.reduce((sum, message) => sum + message.bytes.length, 0);
  for (const [direction, text] of entry.before ?? []) {
    const bytes = Buffer.from(text, 'latin1');
    assert.equal(emitted(framers.push(direction, bytes)), bytes.length, `${entry.protocol} ${direction} held part of the valid traffic before the test`);
  }
  const chunk = Buffer.alloc(CHUNK_BYTES);
  const filler = Buffer.from(entry.filler, 'latin1');
  for (let at = 0; at < chunk.length; at += filler.length) filler.copy(chunk, at);
  let phase = 0; // where the filler pattern continues in the next chunk
  let pushed = 0;
  let out = 0;
  let most = 0;
  const feed = (bytes: Buffer): void => {
    pushed += bytes.length;
    out += emitted(framers.push(entry.direction, bytes));
    most = Math.max(most, pushed - out);
  };
  feed(Buffer.from(entry.prefix, 'latin1'));
  while (pushed < total) {
    const piece = Buffer.concat([chunk.subarray(phase), chunk.subarray(0, phase)]);
    feed(piece);
    phase = (phase + piece.length) % filler.length;
  }
  out += emitted(framers.end(entry.direction));
  assert.equal(out, pushed, 'bytes were lost at the end of the stream');
  return most;
}

for (const entry of endless) {
  test(`${entry.protocol} ${entry.direction}: an endless ${entry.what} is never buffered past ${entry.limit} bytes`, (t) => {
    const total = Math.max(8 * MiB, entry.limit * 2);
    const held = mostHeld(entry, total);
    t.diagnostic(`held at most ${held} bytes of ${total}`);
    assert.ok(held <= entry.limit, `held ${held} bytes of ${total}`);
  });
}

for (const protocol of Object.keys(CORPUS)) {
  test(`${protocol}: cut, damaged and random traffic in both directions, in any chunking, never throws and loses no byte (seed ${SEED})`, (t) => {
    t.diagnostic(`seed ${SEED} (replay with VAURIEN_FUZZ_SEED=${SEED})`);
    fc.assert(
      fc.property(trafficOf(protocol), fc.array(fc.nat(), { maxLength: 8 }), (steps, cuts) => {
        const framers = connectionFramers(protocol);
        const sent: Record<Direction, Buffer[]> = { request: [], response: [] };
        const got: Record<Direction, Buffer[]> = { request: [], response: [] };
        for (const [direction, bytes] of steps) {
          sent[direction].push(bytes);
          for (const chunk of splitAt(bytes, cuts)) for (const message of framers.push(direction, chunk)) got[message.direction].push(message.bytes);
        }
        for (const direction of ['request', 'response'] as const) for (const message of framers.end(direction)) got[message.direction].push(message.bytes);
        for (const direction of ['request', 'response'] as const) {
          assert.deepEqual(Buffer.concat(got[direction]), Buffer.concat(sent[direction]), `${direction} bytes differ`);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
}
