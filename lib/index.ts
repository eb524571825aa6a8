// The public entry point: the in-process proxy, the plugin contract and registries, and the
// pipeline pieces for composing a proxy by hand.
import '../plugins/index.js';

export { createProxy, VaurienProxy, type ProxyOptions, type BehaviorSetting, type RawOptions } from './proxy/proxy.js';
export { Behavior } from './registry/behaviors.js';
export { Protocol } from './registry/protocols.js';
export { defineBehavior, type BehaviorDefinition, type BehaviorContext, type ConnectionControl } from './contract/behavior.js';
export {
  defineProtocol,
  type ProtocolDefinition,
  type Framer,
  type FramerContext,
  type ForwardedRequest,
  type ErrorReply,
  type Pairing,
} from './contract/protocol.js';
export type { Message, MessageInfo, Direction } from './contract/message.js';
export type { OptionTable, OptionSpec, OptionType, OptionValue, OptionValues } from './contract/options.js';
export { createRng, type Rng } from './rng.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { UsageError } from './cli/usage-error.js';
export type { StatsSnapshot } from './control/stats.js';
export type { HostPort } from './proxy/address.js';
