// Each built-in protocol's request summary (SPEC 13): HTTP method and path, the Redis/memcache
// command, the SMTP verb, the MySQL/PostgreSQL command and 100 characters of query; never a key,
// a value or a credential. Framed from wire bytes where the request framer alone can frame them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, MessageInfo } from '../../lib/contract/message.js';
import { defaultsOf, type OptionValues } from '../../lib/contract/options.js';
import type { ProtocolDefinition } from '../../lib/contract/protocol.js';
import { summarizerOf } from '../../lib/faults/request-summary.js';
import { http } from '../../plugins/protocols/http.js';
import { memcache } from '../../plugins/protocols/memcache.js';
import { mysql } from '../../plugins/protocols/mysql.js';
import { postgres } from '../../plugins/protocols/postgres.js';
import { redis } from '../../plugins/protocols/redis.js';
import { smtp } from '../../plugins/protocols/smtp.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { frameConnection } from '../helpers/framing.js';

/** The summary of the first request framed from `wire`. */
function summaryOf(protocol: ProtocolDefinition, wire: string | Buffer): string {
  const options = defaultsOf(protocol.options) as OptionValues;
  const { messages } = frameConnection(protocol, [Buffer.isBuffer(wire) ? wire : Buffer.from(wire)], [], options).request;
  const first = messages.find((message) => message.first && message.exchange !== 0);
  assert.ok(first !== undefined, 'a request was framed');
  return summarizerOf(protocol)(first);
}

function request(bytes: Buffer, info: MessageInfo): Message {
  return { bytes, direction: 'request', exchange: 1, first: true, last: true, info };
}

const LONG_SQL = `SELECT ${'a'.repeat(200)} FROM t`;

test('http: the method and the target as written, a long target cut', () => {
  assert.equal(summaryOf(http, 'GET /users?id=3 HTTP/1.1\r\nHost: x\r\n\r\n'), 'GET /users?id=3');
  assert.equal(summaryOf(http, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'), 'POST /upload');
  assert.equal(summaryOf(http, `GET /${'x'.repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`), `GET /${'x'.repeat(99)}…`);
});

test('redis: the command name, never its keys or values', () => {
  assert.equal(summaryOf(redis, '*3\r\n$3\r\nset\r\n$6\r\nsecret\r\n$5\r\nvalue\r\n'), 'SET');
  assert.equal(summaryOf(redis, 'PING\r\n'), 'PING');
});

test('memcache: the command, without keys or data', () => {
  assert.equal(summaryOf(memcache, 'set session:1 0 0 5\r\nhello\r\n'), 'set');
  assert.equal(summaryOf(memcache, 'mg key v\r\n'), 'mg');
});

test('tcp: the size of the chunk', () => {
  assert.equal(summaryOf(tcp, 'hello'), '5 bytes');
});

test('smtp: the verb; a DATA body and an AUTH answer are named, not quoted', () => {
  const summarize = summarizerOf(smtp);
  assert.equal(summarize(request(Buffer.from('MAIL FROM:<a@b>\r\n'), { command: 'MAIL' })), 'MAIL');
  assert.equal(summarize(request(Buffer.from('Subject: secret\r\n'), { command: 'DATA', body: true })), 'DATA body');
  assert.equal(summarize(request(Buffer.from('c2VjcmV0\r\n'), { command: 'AUTH', continuation: true })), 'AUTH answer');
});

test('mysql: the command, and a query or statement to prepare with the first 100 characters of its SQL', () => {
  const summarize = summarizerOf(mysql);
  const packet = (code: number, text: string): Buffer => {
    const payload = Buffer.concat([Buffer.from([code]), Buffer.from(text)]);
    const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 0]);
    return Buffer.concat([header, payload]);
  };
  assert.equal(summarize(request(packet(0x03, 'SELECT 1'), { command: 'COM_QUERY', sequence: 0 })), 'COM_QUERY SELECT 1');
  assert.equal(summarize(request(packet(0x16, 'INSERT INTO t VALUES (?)'), { command: 'COM_STMT_PREPARE', sequence: 0 })), 'COM_STMT_PREPARE INSERT INTO t VALUES (?)');
  assert.equal(summarize(request(packet(0x03, LONG_SQL), { command: 'COM_QUERY', sequence: 0 })), `COM_QUERY ${LONG_SQL.slice(0, 100)}…`);
  assert.equal(summarize(request(packet(0x0e, ''), { command: 'COM_PING', sequence: 0 })), 'COM_PING');
  assert.equal(summarize(request(packet(0x8d, 'user\0password'), { command: 'HANDSHAKE_RESPONSE', sequence: 1 })), 'HANDSHAKE_RESPONSE');
});

test('postgres: the message by name and the first 100 characters of its SQL', () => {
  const summarize = summarizerOf(postgres);
  assert.equal(summarize(request(Buffer.from('Q'), { command: 'Q', query: 'SELECT 1', transaction: 'I' })), 'Query SELECT 1');
  assert.equal(summarize(request(Buffer.from('P'), { command: 'P', query: LONG_SQL.slice(0, 100), transaction: 'I' })), `Parse ${LONG_SQL.slice(0, 100)}`);
  assert.equal(summarize(request(Buffer.from('p'), { command: 'p' })), 'PasswordMessage');
  assert.equal(summarize(request(Buffer.from('S'), { command: 'StartupMessage' })), 'StartupMessage');
});

test("a protocol's summary that throws, or a request without info, falls back to the default", () => {
  const throwing: ProtocolDefinition = {
    ...tcp,
    summary: () => {
      throw new Error('plugin bug');
    },
  } as ProtocolDefinition;
  assert.equal(summarizerOf(throwing)(request(Buffer.from('abc'), { command: 'FETCH' })), 'FETCH');
  const plain: ProtocolDefinition = { ...tcp, summary: undefined } as unknown as ProtocolDefinition;
  assert.equal(summarizerOf(plain)({ bytes: Buffer.from('abcd'), direction: 'request', exchange: 1, first: true, last: true }), '4 bytes');
  assert.equal(summarizerOf(plain)(request(Buffer.from('x'), { method: 'FETCH', target: '/a\r\nb' })), 'FETCH /a b');
});
