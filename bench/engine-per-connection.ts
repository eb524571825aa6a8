// The engine's own cost of one connection's life, without sockets or a kernel: its pipelines
// made, one request and its answer framed and written, both sources ended, the pipelines stopped.
// What framing adds per connection under churn, apart from Node's socket work (bench/RESULTS.md,
// "Issue #19, tenth pass"). With --syscalls N, N writes to /dev/null before each step (as a
// proxy makes system calls between a connection's events); the same calls alone are timed in
// each round and taken off.
//   node --import tsx bench/engine-per-connection.ts [tcp|redis|memcache|http] [--dist DIR] [--syscalls N]
import { parseArgs } from 'node:util';
import { loadEngine, trafficOf } from './harness/engine-build.js';
import { kernelWork } from './harness/kernel-work.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dist: { type: 'string', default: 'dist' }, syscalls: { type: 'string', default: '0' } } });
const protocolName = positionals[0] ?? 'redis';
const ROUNDS = 5;
const CONNECTIONS = 100_000;
/** Connections between two turns of the event loop, as a proxy under churn (16 at a time) has. */
const PER_TURN = 16;
/** Steps of a connection's life below, each after the calls. */
const STEPS = 6;
const SYSCALLS = Number(values.syscalls);
const kernel = kernelWork(SYSCALLS);

/** Microseconds per connection of the calls alone, in the same turns of the event loop. */
async function callsAlone(): Promise<number> {
  const started = process.hrtime.bigint();
  for (let at = 0; at < CONNECTIONS; at++) {
    for (let step = 0; step < STEPS; step++) kernel();
    if (at % PER_TURN === PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  return Number(process.hrtime.bigint() - started) / CONNECTIONS / 1000;
}

const engine = await loadEngine(values.dist);
const { command, reply } = trafficOf(protocolName);
const commandBytes = Buffer.from(command);
const replyBytes = Buffer.from(reply);

for (let round = 0; round < ROUNDS; round++) {
  const calls = SYSCALLS === 0 ? 0 : await callsAlone();
  const started = process.hrtime.bigint();
  for (let at = 0; at < CONNECTIONS; at++) {
    kernel();
    const { client, backend, pipelines } = engine.connection(protocolName);
    kernel();
    // A view per chunk, as a socket gives a new Buffer each read.
    client.emit('data', Buffer.from(commandBytes.buffer, commandBytes.byteOffset, commandBytes.length));
    kernel();
    backend.emit('data', Buffer.from(replyBytes.buffer, replyBytes.byteOffset, replyBytes.length));
    kernel();
    client.emit('end');
    kernel();
    backend.emit('end');
    kernel();
    pipelines.stop();
    // Work a connection left for later (promise jobs) runs, as it would between socket events.
    if (at % PER_TURN === PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const micros = Number(process.hrtime.bigint() - started) / CONNECTIONS / 1000 - calls;
  const between = SYSCALLS === 0 ? '' : `; ${SYSCALLS} system call(s) before each of ${STEPS} steps, ${calls.toFixed(2)} µs of them taken off`;
  process.stdout.write(`${protocolName}: ${micros.toFixed(2)} µs per connection (made, one request and answer, ended, stopped${between})\n`);
}
