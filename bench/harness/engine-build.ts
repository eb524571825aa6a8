// A build's engine without sockets, for bench/engine-per-value.ts and
// bench/engine-per-connection.ts: a connection's pipelines (both framers, the ledger, both flows,
// the writers) fed from two event emitters that stand for its sockets, writing into sinks that
// only take. Loaded from a build directory, so that a build of another commit can be measured.
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A source the direction reads as a socket's 'data' and 'end' events. */
export type Source = EventEmitter;

export interface EngineConnection {
  readonly client: Source;
  readonly backend: Source;
  readonly pipelines: { readonly pendingAnswers: number; stop(): void };
}

export interface Engine {
  connection(protocolName: string): EngineConnection;
}

// The build's classes, typed loosely: the point is to run whichever build is given.
type Constructor = new (...args: unknown[]) => Record<string, never>;
interface Pipelines {
  framers: Record<'request' | 'response', unknown>;
  request: unknown;
  response: unknown;
  pendingAnswers: number;
  stop(): void;
}

/** A socket that takes every write and counts nothing else. */
export const sink = (): object => ({ write: () => true, end() {}, cork() {}, uncork() {}, destroyed: false, writableEnded: false, writableNeedDrain: false });
/** A source the direction reads as a socket's events, paused and resumed as a socket is. */
export const source = (): Source => Object.assign(new EventEmitter(), { pause() {}, resume() {} });
const quiet = { warning() {}, info() {}, debug() {}, error() {} };
// Every exchange dummy, nothing watched: what `vaurien --protocol P` does with no behavior.
const host = { choose: () => undefined, directionFinished() {}, operatorFailed() {}, answered() {}, closeClient() {}, endThenClose() {}, reset() {}, notice() {} };
const directionHost = { chunkArrived() {}, fail: (_direction: string, error: unknown) => { throw error; } };

export async function loadEngine(distDir: string): Promise<Engine> {
  const load = async (path: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(resolve(distDir, path)).href)) as Record<string, unknown>;
  const { ConnectionPipelines } = (await load('lib/pipeline/connection-pipelines.js')) as { ConnectionPipelines: Constructor };
  const { DirectionPipeline } = (await load('lib/pipeline/direction.js')) as { DirectionPipeline: new (...args: unknown[]) => { feed(source: Source): void } };
  const { SocketWriter } = (await load('lib/proxy/socket-write.js')) as { SocketWriter: Constructor };
  await load('plugins/index.js');
  const { Protocol } = (await load('lib/registry/protocols.js')) as { Protocol: { require(name: string, what: string): unknown } };
  return {
    connection(protocolName: string): EngineConnection {
      const pipelines = new ConnectionPipelines({
        protocol: Protocol.require(protocolName, 'protocol'),
        protocolOptions: { buffer: 2048, keep_alive: false, reuse_socket: false },
        toBackend: new SocketWriter(sink()),
        toClient: new SocketWriter(sink()),
        seed: 1,
        log: quiet,
        counters: { bytes: { request: 0, response: 0 }, countFault() {} },
        host,
      }) as unknown as Pipelines;
      const client = source();
      const backend = source();
      new DirectionPipeline('request', pipelines.framers.request, pipelines.request, directionHost).feed(client);
      new DirectionPipeline('response', pipelines.framers.response, pipelines.response, directionHost).feed(backend);
      return { client, backend, pipelines };
    },
  };
}

/** A request and its whole answer, per protocol the engine tools know. */
export function trafficOf(protocolName: string, miss = false): { readonly command: string; readonly reply: string } {
  switch (protocolName) {
    case 'memcache':
      return { command: 'get vaurien-bench\r\n', reply: miss ? 'END\r\n' : 'VALUE vaurien-bench 0 16\r\n0123456789abcdef\r\nEND\r\n' };
    case 'http':
      return { command: 'GET / HTTP/1.1\r\nHost: bench\r\n\r\n', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"ok":true}' };
    default: // redis, and tcp (which frames any bytes)
      return { command: '*2\r\n$3\r\nGET\r\n$13\r\nvaurien-bench\r\n', reply: miss ? '$-1\r\n' : '$16\r\n0123456789abcdef\r\n' };
  }
}
