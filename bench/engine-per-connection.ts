// The engine's own cost of one connection's life, without sockets or a kernel: its pipelines
// made, one request and its answer framed and written, both sources ended, the pipelines stopped.
// What framing adds per connection under churn, apart from Node's socket work (bench/RESULTS.md,
// "Issue #19, tenth pass").
//   node --import tsx bench/engine-per-connection.ts [tcp|redis|memcache|http] [--dist DIR]
import { parseArgs } from 'node:util';
import { loadEngine, trafficOf } from './harness/engine-build.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dist: { type: 'string', default: 'dist' } } });
const protocolName = positionals[0] ?? 'redis';
const ROUNDS = 5;
const CONNECTIONS = 100_000;
/** Connections between two turns of the event loop, as a proxy under churn (16 at a time) has. */
const PER_TURN = 16;

const engine = await loadEngine(values.dist);
const { command, reply } = trafficOf(protocolName);
const commandBytes = Buffer.from(command);
const replyBytes = Buffer.from(reply);

for (let round = 0; round < ROUNDS; round++) {
  const started = process.hrtime.bigint();
  for (let at = 0; at < CONNECTIONS; at++) {
    const { client, backend, pipelines } = engine.connection(protocolName);
    // A view per chunk, as a socket gives a new Buffer each read.
    client.emit('data', Buffer.from(commandBytes.buffer, commandBytes.byteOffset, commandBytes.length));
    backend.emit('data', Buffer.from(replyBytes.buffer, replyBytes.byteOffset, replyBytes.length));
    client.emit('end');
    backend.emit('end');
    pipelines.stop();
    // Work a connection left for later (promise jobs) runs, as it would between socket events.
    if (at % PER_TURN === PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const micros = Number(process.hrtime.bigint() - started) / CONNECTIONS / 1000;
  process.stdout.write(`${protocolName}: ${micros.toFixed(2)} µs per connection (made, one request and answer, ended, stopped)\n`);
}
