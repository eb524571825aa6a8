// A connection's pipelines composed by hand, for custom harnesses: the same ConnectionPipelines
// the proxy builds each connection from, over two sockets, with each direction as a list of
// stream-chain stages (`chain(pipelines.request)`). Framing never changes a byte, so under
// dummy what the backend gets is exactly what the client sent, and back.
import type { Socket } from 'node:net';
import { flushable, many, none } from 'stream-chain';
import { planFromSpec, type GivenBehaviorOptions } from '../choose/plan-from-spec.js';
import type { Message } from '../contract/message.js';
import { defaultsOf, type OptionValues } from '../contract/options.js';
import type { Framer, ProtocolDefinition } from '../contract/protocol.js';
import { silentLogger, type Logger } from '../log.js';
import { mergeOptions } from '../options/option-types.js';
import { resetSocket } from '../proxy/reset-socket.js';
import { SocketWriter } from '../proxy/socket-write.js';
import { Protocol } from '../registry/protocols.js';
import { createRng, deriveSeed, randomSeed, type Rng } from '../rng.js';
import { ConnectionPipelines, type StreamBehavior } from './connection-pipelines.js';
import type { DirectionFlow } from './direction-flow.js';
import type { ExchangePick } from './exchanges.js';

export interface CreatePipelinesOptions {
  /** The client's socket: `response` writes to it. */
  readonly client: Socket;
  /** The backend's socket: `request` writes to it. */
  readonly backend: Socket;
  /** A registered protocol name or a definition; default `tcp`. */
  readonly protocol?: string | ProtocolDefinition;
  readonly protocolOptions?: Readonly<Record<string, unknown>>;
  /** `PERCENT:NAME[,…]`, as on the command line; default `100:dummy`. */
  readonly behavior?: string;
  /** Options as everywhere: one behavior's flat (`{ sleep: 0.2 }`), a set's per name (`{ delay: { sleep: 0.2 } }`). */
  readonly options?: GivenBehaviorOptions;
  /** Seeds the draws (random when absent). */
  readonly seed?: number;
  readonly log?: Logger;
}

/** One connection's pipelines, each direction as stream-chain stages. */
export interface HandMadePipelines {
  /** client → backend: `client.pipe(chain(request))`. */
  readonly request: readonly unknown[];
  /** backend → client: `backend.pipe(chain(response))`. */
  readonly response: readonly unknown[];
  /** The engine under them (stream behaviors: `setStreamBehaviors`). */
  readonly pipelines: ConnectionPipelines;
}

/**
 * Both pipelines of a connection between `client` and `backend`, as the proxy makes them.
 * @example
 * const { request, response } = createPipelines({ client, backend, protocol: 'redis', behavior: '30:delay' });
 * client.pipe(chain(request));
 * backend.pipe(chain(response));
 */
export function createPipelines(settings: CreatePipelinesOptions): HandMadePipelines {
  const { client, backend } = settings;
  const protocol = typeof settings.protocol === 'object' ? settings.protocol : Protocol.require(settings.protocol ?? 'tcp', 'protocol');
  const protocolOptions = mergeOptions(protocol.options, defaultsOf(protocol.options), settings.protocolOptions ?? {}, (name) => `${protocol.name}.${name}`);
  const { plan } = planFromSpec(settings.behavior ?? '100:dummy', settings.options);
  const seed = settings.seed ?? randomSeed();
  let rng: Rng | undefined;
  const random = (): Rng => (rng ??= createRng(seed));
  const counts = new Map<string, number>();
  const closeBoth = (): void => {
    client.destroy();
    backend.destroy();
  };

  const pipelines = new ConnectionPipelines({
    protocol,
    protocolOptions,
    toBackend: new SocketWriter(backend),
    toClient: new SocketWriter(client),
    seed: deriveSeed(seed, 0x5eed),
    log: settings.log ?? silentLogger,
    host: {
      choose(): ExchangePick | undefined {
        const choice = plan.choose(random());
        if (choice === undefined) return undefined;
        const name = choice.definition.name;
        const exchangesSoFar = counts.get(name) ?? 0;
        counts.set(name, exchangesSoFar + 1);
        return { choice, exchangesSoFar };
      },
      directionFinished: (direction) => pipelines.flow(direction).writer.end(),
      operatorFailed: closeBoth,
      answered: () => {},
      closeClient: closeBoth,
      endThenClose(direction) {
        pipelines.flow(direction).writer.end();
        (direction === 'request' ? client : backend).destroy();
      },
      reset() {
        resetSocket(client);
        resetSocket(backend);
      },
      notice: (line) => (settings.log ?? silentLogger).warning(line),
    },
  });
  const streams: StreamBehavior[] = plan.streamChoices.map((choice) => ({ key: choice.definition.name, version: choice, definition: choice.definition, options: choice.options as OptionValues }));
  if (streams.length > 0) pipelines.setStreamBehaviors(streams);
  return {
    request: directionStages(pipelines.framers.request, pipelines.request),
    response: directionStages(pipelines.framers.response, pipelines.response),
    pipelines,
  };
}

/**
 * One direction as stream-chain stages: the framer (chunks in, messages out; its leftovers at
 * the end), then the flow (a stage that waits while the flow cannot take a message, which pauses
 * the source through the chain's backpressure; at the end, the flow's end).
 */
export function directionStages(framer: Framer, flow: DirectionFlow): readonly unknown[] {
  const framing = flushable(
    (chunk: Buffer) => many([...framer.push(chunk)]),
    () => many([...framer.end()]),
  );
  const step = (message: Message): typeof none | Promise<typeof none> => {
    const wait = flow.wait(message);
    if (wait !== undefined) return wait.then(() => step(message));
    flow.push(message);
    return none;
  };
  const flowing = flushable(step, () => flow.end()?.then(() => none) ?? none);
  return [framing, flowing];
}

