// The engine's own cost per pipelined request, without sockets or a kernel: one connection's
// pipelines (both framers, the ledger, both flows, the writers) fed chunks of DEPTH GETs and
// DEPTH replies from memory, written into sinks that only count. What framing and bookkeeping
// cost per exchange, apart from Node's socket work (bench/RESULTS.md, "Issue #19, fourth pass").
//   node --import tsx bench/engine-per-value.ts [redis|memcache|tcp] [--depth N] [--connections N] [--dist DIR] [--floor] [--miss] [--syscalls N]
// With --dist, the build in DIR is measured (a build of another commit, to compare). With
// --floor (redis), the pairing proxy's scanners instead (bench/servers/resp-scan.ts): the least
// a protocol-aware Node proxy does per value, against which vaurien's engine is measured. With
// --miss, every reply says the key is not there (redis `$-1`, memcache a bare `END`). With
// --syscalls N, N writes to /dev/null after each chunk of commands and its chunk of replies: the
// kernel runs between chunks, as in a proxy, and the engine's code and data leave the caches.
import { parseArgs } from 'node:util';
import { loadEngine, sink, source, trafficOf, type EngineConnection } from './harness/engine-build.js';
import { kernelWork } from './harness/kernel-work.js';
import { Awaiting, scanner } from './servers/resp-scan.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { depth: { type: 'string', default: '16' }, connections: { type: 'string', default: '1' }, dist: { type: 'string', default: 'dist' }, floor: { type: 'boolean', default: false }, miss: { type: 'boolean', default: false }, syscalls: { type: 'string', default: '0' } } });
const protocolName = positionals[0] ?? 'redis';
const depth = Number(values.depth);
const ROUNDS = 5;
const CHUNKS = 200_000;
const SYSCALLS = Number(values.syscalls);
const kernel = kernelWork(SYSCALLS);

type Connection = Pick<EngineConnection, 'client' | 'backend'> & { readonly pipelines: { readonly pendingAnswers: number } };

const engine = await loadEngine(values.dist);
/** One connection's pipelines, fed from two sources that stand for its sockets. */
const connection = (): Connection => engine.connection(protocolName);

/** The pairing proxy's work for one connection: each chunk scanned, commands noted and replies paired, then written. */
function floorConnection(): Connection {
  const counts = { values: 0, paired: 0 };
  const awaiting = new Awaiting();
  const toBackend = sink() as { write(chunk: Buffer): boolean };
  const toClient = sink() as { write(chunk: Buffer): boolean };
  const client = source();
  const backend = source();
  const scanCommands = scanner(counts, awaiting, true);
  const scanReplies = scanner(counts, awaiting, false);
  client.on('data', (chunk: Buffer) => {
    scanCommands(chunk);
    toBackend.write(chunk);
  });
  backend.on('data', (chunk: Buffer) => {
    scanReplies(chunk);
    toClient.write(chunk);
  });
  return { client, backend, pipelines: { get pendingAnswers() { return counts.values / 2 - counts.paired; } } };
}

if (values.floor && protocolName !== 'redis') throw new Error('--floor measures the redis pairing proxy only');
// Taken in turn, as the chunks of many clients come: each connection's state is then out of
// the CPU's caches more often than with one.
const connections = Array.from({ length: Number(values.connections) }, values.floor ? floorConnection : connection);

const { command, reply } = trafficOf(protocolName, values.miss);
const commands = Buffer.from(command.repeat(depth));
const replies = Buffer.from(reply.repeat(depth));

for (let round = 0; round < ROUNDS; round++) {
  const started = process.hrtime.bigint();
  // A view per chunk, as a socket gives a new Buffer each read.
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const { client, backend } = connections[chunk % connections.length] as (typeof connections)[number];
    client.emit('data', Buffer.from(commands.buffer, commands.byteOffset, commands.length));
    backend.emit('data', Buffer.from(replies.buffer, replies.byteOffset, replies.length));
    kernel();
  }
  const nanoseconds = Number(process.hrtime.bigint() - started) / (CHUNKS * depth);
  process.stdout.write(`${values.floor ? 'pairing floor' : protocolName}, ${depth} a chunk, ${connections.length} connection(s)${SYSCALLS > 0 ? `, ${SYSCALLS} system calls between` : ''}: ${nanoseconds.toFixed(1)} ns per request${connections.every(({ pipelines }) => pipelines.pendingAnswers === 0) ? '' : ' (answers pending: the pairing is off)'}\n`);
}
