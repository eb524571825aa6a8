// What a framer hands back must not be shaped per connection. A generator method written in a
// framer's closure (`*end()`) is a new generator function for every connection, and V8 gives each
// one a prototype and a hidden class of its own the first time it runs: under connection churn
// that cost redis, memcache and http 15–20 µs of a connection's engine time, mostly in garbage
// collection (bench/RESULTS.md, "Issue #19, tenth pass"). Results of two connections' framers
// share their prototype: an array's, a ChunkRanges', a generator method's of a class (made
// once), never a prototype made for one connection.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Direction } from '../../lib/contract/message.js';
import type { ProtocolDefinition } from '../../lib/contract/protocol.js';
import type { OptionValues } from '../../lib/contract/options.js';
import { http } from '../../plugins/protocols/http.js';
import { memcache } from '../../plugins/protocols/memcache.js';
import { mysql } from '../../plugins/protocols/mysql.js';
import { postgres } from '../../plugins/protocols/postgres.js';
import { redis } from '../../plugins/protocols/redis.js';
import { smtp } from '../../plugins/protocols/smtp.js';
import { tcp } from '../../plugins/protocols/tcp.js';
import { testFramerContext } from '../helpers/framing.js';

const OPTIONS: OptionValues = { buffer: 2048, keep_alive: false, reuse_socket: false };

/** A request and its answer, cut short: the framers' `end()` has leftovers to hand back. */
const TRAFFIC: ReadonlyArray<readonly [ProtocolDefinition, string, string]> = [
  [tcp, 'hello', 'hello'],
  [redis, '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI', '$1\r\nv\r\n*3\r\n'],
  [memcache, 'get k\r\nget', 'VALUE k 0 1\r\nv\r\nEND\r\nVAL'],
  [http, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200'],
  [postgres, 'Q\0\0\0\x0dSELECT 1\0Q\0\0', 'C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05IZ\0'],
  [smtp, 'EHLO x\r\nMAIL FROM:<a@b>\r\nRCP', '220 hi\r\n250-ok\r\n25'],
  // A server greeting (HandshakeV10) cut short, a client packet cut short.
  [mysql, '\x05\0\0\x01\x03SEL', '\x4a\0\0\0\x0a8.0.0\0'],
];
/** Protocols whose framers keep a cut-short tail for end() (tcp passes bytes on at once; postgres and mysql stream pieces of a packet). */
const KEEPS_TAIL: ReadonlySet<ProtocolDefinition> = new Set<ProtocolDefinition>([redis, memcache, http, smtp]);

/** What one connection's framer for `direction` hands back: for a chunk, and at the end. */
function resultsOf(protocol: ProtocolDefinition, direction: Direction, input: string): { pushed: object; ended: object } {
  const context = testFramerContext([{ exchange: 1, info: undefined }]);
  const framer = protocol.createFramers(OPTIONS, context)[direction];
  const pushed = framer.push(Buffer.from(input, 'latin1')) as Iterable<unknown> & object;
  // Iterated as a connection does: a generator frames as it is read.
  for (const message of pushed) void message;
  const ended = framer.end() as object;
  return { pushed, ended };
}

for (const [protocol, request, response] of TRAFFIC) {
  test(`${protocol.name}: two connections' framers hand back results of one shape, not a prototype each`, () => {
    for (const [direction, input] of [['request', request], ['response', response]] as const) {
      const one = resultsOf(protocol, direction, input);
      const other = resultsOf(protocol, direction, input);
      assert.equal(Object.getPrototypeOf(one.pushed), Object.getPrototypeOf(other.pushed), `${direction}: push()`);
      assert.equal(Object.getPrototypeOf(one.ended), Object.getPrototypeOf(other.ended), `${direction}: end()`);
      // And what end() hands back still holds the cut-short tail.
      if (KEEPS_TAIL.has(protocol)) assert.ok([...(one.ended as Iterable<unknown>)].length > 0, `${direction}: end() gives the tail`);
    }
  });
}
