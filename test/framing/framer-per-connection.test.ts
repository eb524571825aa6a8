// What a framer hands back must not be shaped per connection. A generator method written in a
// framer's closure (`*end()`) is a new generator function for every connection, and V8 gives each
// one a prototype and a hidden class of its own the first time it runs: under connection churn
// that cost redis, memcache and http 15–20 µs of a connection's engine time, mostly in garbage
// collection (bench/RESULTS.md, "Issue #19, tenth pass"). Results of two connections' framers
// share their prototype: an array's, a ChunkRanges', never a prototype made for one connection.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Direction } from '../../lib/contract/message.js';
import type { ProtocolDefinition } from '../../lib/contract/protocol.js';
import type { OptionValues } from '../../lib/contract/options.js';
import { http } from '../../plugins/protocols/http.js';
import { memcache } from '../../plugins/protocols/memcache.js';
import { postgres } from '../../plugins/protocols/postgres.js';
import { redis } from '../../plugins/protocols/redis.js';
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
];

/** What one connection's framer for `direction` hands back: for a chunk, and at the end. */
function resultsOf(protocol: ProtocolDefinition, direction: Direction, input: string): { pushed: object; ended: object } {
  const context = testFramerContext([{ exchange: 1, info: undefined }]);
  const framer = protocol.createFramers(OPTIONS, context)[direction];
  const pushed = framer.push(Buffer.from(input, 'latin1')) as object;
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
      // And what end() hands back still holds the cut-short tail (tcp and postgres keep none).
      if (protocol !== tcp && protocol !== postgres) assert.ok([...(one.ended as Iterable<unknown>)].length > 0, `${direction}: end() gives the tail`);
    }
  });
}
