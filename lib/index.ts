// The public entry point: the in-process proxy, the plugin contract and registries, and the
// pipeline pieces for composing a proxy by hand.
import '../plugins/index.js';

export { createProxy, VaurienProxy, type ProxyOptions, type BehaviorSetting, type RawOptions } from './proxy/proxy.js';
export type { BehaviorSource } from './proxy/behavior-source.js';
// A Toxiproxy-compatible server in this process (SPEC section 11): what `vaurien server` runs.
export { createServer, type ServerOptions, type ToxiproxyServer } from './server/create-server.js';
export { ToxiproxyError } from './server/toxiproxy-error.js';
export { Behavior } from './registry/behaviors.js';
export { Protocol } from './registry/protocols.js';
export { defineBehavior, type BehaviorDefinition, type BehaviorContext, type BehaviorScope, type ConnectionControl } from './contract/behavior.js';
export {
  defineProtocol,
  GREETING,
  type ProtocolDefinition,
  type Framer,
  type FramerPair,
  type FramerContext,
  type ExchangeOpening,
  type ForwardedRequest,
  type ErrorReply,
  type Pairing,
  type TlsSwitch,
} from './contract/protocol.js';
export type { Message, MessageInfo, Direction } from './contract/message.js';
export { ChunkPieces } from './contract/chunk-pieces.js';
export { ChunkRanges } from './contract/chunk-ranges.js';
export type { OptionTable, OptionSpec, OptionType, OptionValue, OptionValues } from './contract/options.js';
export { createRng, type Rng } from './rng.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { UsageError } from './cli/usage-error.js';
export type { StatsSnapshot } from './control/stats.js';
// The fault log (SPEC 13): its records, where they go, and the event stream that serves them.
export type { FaultRecord, FaultListener } from './faults/fault-record.js';
export { FaultFeed } from './faults/fault-feed.js';
export { EventStream, type EventStreamOptions } from './events/event-stream.js';
export { SseParser, type ServerSentEvent } from './events/sse-parser.js';
export type { HostPort } from './proxy/address.js';

// Control from code (SPEC sections 5–8): the control API, its client, a proxy in a child
// process, hook-style plugins, plugin loading, and the pieces to compose a pipeline by hand.
export { startControlApi, ApiListenError, type ControlApi, type ControlApiOptions } from './control/http-api.js';
export type { FieldError, ErrorBody } from './control/api-errors.js';
export { createProxyMetrics, type ProxyMetrics } from './control/metrics.js';
export {
  Client,
  ControlApiError,
  ControlApiUnreachableError,
  type ClientOptions,
  type BehaviorState,
  type BehaviorDescription,
  type ClientOptionValues,
  type ChangeSettings,
} from './control/client.js';
export { startProxy, stopProxy, ProxyStartError, type StartProxyOptions } from './control/start-proxy.js';
export {
  defineHookBehavior,
  isHookBehavior,
  type HookBehavior,
  type HookContext,
  type HookVerdict,
  type OptionTuple,
} from './contract/hook-behavior.js';
export { loadBehaviorPlugin, loadProtocolPlugin, resolveBehaviorSpecPlugins, isPluginReference } from './registry/load-plugin.js';
// The engine's pieces: the proxy builds every connection from them, and so can a custom harness.
export { createPipelines, directionStages, type CreatePipelinesOptions, type HandMadePipelines } from './pipeline/create-pipelines.js';
export {
  ConnectionPipelines,
  type PipelinesOptions,
  type PipelinesHost,
  type StreamBehavior,
  type TrafficCounters,
} from './pipeline/connection-pipelines.js';
export { DirectionFlow, type FlowHost } from './pipeline/direction-flow.js';
export { DirectionPipeline, type DirectionHost } from './pipeline/direction.js';
export { OperatorRun, HOLD_LIMIT_BYTES, type RunSink } from './pipeline/operator-run.js';
export { SocketWriter } from './proxy/socket-write.js';
export { BehaviorPlan, type BehaviorChoice } from './choose/picker.js';
export { planFromSpec, type GivenBehaviorOptions } from './choose/plan-from-spec.js';
export { parseHostPort, formatHostPort } from './proxy/address.js';
export { parseWeightedSpec, formatWeightedSpec, type WeightedSpec, type WeightedEntry } from './choose/weighted-spec.js';
