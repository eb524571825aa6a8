// The request half of the redis framer: each command (a RESP array or an inline line) opens an
// exchange whose info names it (`{ command: 'GET' }`; (un)subscribe commands add `channels`).
// Empty commands (`*0`, a blank line) get no reply from redis, so they stay outside exchanges;
// commands sent under `CLIENT REPLY OFF` (or after `SKIP`) get none either: they are `noReply`.
import type { MessageInfo } from '../../../lib/contract/message.js';
import type { ExchangeOpening, FramerContext } from '../../../lib/contract/protocol.js';
import { OUTSIDE, type RespSide, type Stamp } from './resp-framer.js';
import { splitInline } from './resp-inline.js';
import { PUBSUB_COMMANDS } from './resp-pubsub.js';
import { RespType, type RespScanner } from './resp-scanner.js';

/** Distinct command names whose info object is reused; garbage names cannot grow it further. */
const INFO_CACHE_SIZE = 256;

/** What a client's commands left on its redis connection (for reuse_socket). */
export interface RedisSession {
  /** A command that keeps state per connection was sent (MULTI, SELECT, SUBSCRIBE, AUTH…). */
  bound: boolean;
}

/** Commands after which a redis connection carries its client's state (SPEC 9). */
const SESSION_COMMANDS: ReadonlySet<string> = new Set(['MULTI', 'WATCH', 'SELECT', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'CLIENT', 'AUTH', 'HELLO', 'MONITOR', 'READONLY', 'READWRITE', 'ASKING', 'RESET']);

/** A command's info, and whether it binds the session (looked up once per name, not per command). */
interface NamedCommand {
  readonly info: MessageInfo;
  readonly binds: boolean;
}

export function createRespRequestSide(context: FramerContext, session: RedisSession = { bound: false }): RespSide {
  const commands = new Map<string, NamedCommand>();

  // The last command's name again (a pipeline of GETs): the very same string, as names are
  // shared (latin1Text), so no lookup.
  let lastName: string | undefined;
  let lastCommand: NamedCommand | undefined;
  // Keyed by the name as sent (`get`, `GET`): a hit costs no upper-casing.
  const commandFor = (name: string, argumentCount: number): NamedCommand => {
    if (name === lastName) return lastCommand as NamedCommand;
    const cached = commands.get(name);
    if (cached !== undefined) {
      lastName = name;
      lastCommand = cached;
      return cached;
    }
    const command = name.toUpperCase();
    const binds = SESSION_COMMANDS.has(command);
    if (PUBSUB_COMMANDS.has(command)) return { info: { command, channels: argumentCount }, binds };
    const named = { info: Object.freeze({ command }), binds };
    if (commands.size < INFO_CACHE_SIZE) commands.set(name, named);
    return named;
  };

  /** Made when a CLIENT REPLY is first seen: most connections never send one. */
  let replies: ReplyMode | undefined;
  // One stamp refilled for each command, not an object per command: the framer is done with
  // a command's stamp before it asks for the next one.
  const stamp: { exchange: number; first: true; info: MessageInfo | undefined; noReply: boolean } = { exchange: 0, first: true, info: undefined, noReply: false };
  const open = (name: string | undefined, argumentCount: number, subcommand?: string, mode?: string): Stamp => {
    const named = name === undefined ? undefined : commandFor(name, argumentCount);
    const info = named?.info;
    const replyMode = info?.['command'] === 'CLIENT' && subcommand?.toUpperCase() === 'REPLY' ? mode : undefined;
    // CLIENT REPLY is session control, like a handshake: a behavior that kept it from redis
    // would leave the proxy and redis disagreeing on which commands are answered.
    stamp.exchange = replyMode === undefined ? context.openExchange() : context.openExchange(SESSION_CONTROL);
    stamp.info = info;
    stamp.noReply = replyMode === undefined ? (replies?.unanswered(undefined) ?? false) : (replies ??= new ReplyMode()).unanswered(replyMode);
    if (named?.binds === true) session.bound = true;
    return stamp;
  };

  return {
    notedElements: 1, // the command name
    widen: clientArguments, // CLIENT REPLY OFF: its two arguments too
    decide(scanner: RespScanner, forced: boolean): Stamp | undefined {
      if (scanner.topType === 0) return forced ? open(undefined, 0) : undefined; // the array's length is still coming
      const length = scanner.topLength;
      if (length === 0 || length === -1) return OUTSIDE;
      const known = scanner.knownElements;
      if (known === 0 && !forced) return undefined;
      const { elementTypes, elementTexts } = scanner;
      const nameType = elementTypes[0];
      const name = known > 0 && (nameType === RespType.bulk || nameType === RespType.simple) ? elementTexts[0] : undefined;
      // CLIENT waits for its subcommand and mode (when it has them), to follow CLIENT REPLY.
      if (name !== undefined && isClient(name) && known < Math.min(3, length) && !forced) return undefined;
      return open(name, Number.isFinite(length) ? length - 1 : 0, known > 1 ? elementTexts[1] : undefined, known > 2 ? elementTexts[2] : undefined);
    },
    complete: () => true,
    inline(line: Buffer): Stamp {
      const { name, words, args } = splitInline(line);
      return words === 0 ? OUTSIDE : open(name, words - 1, args[0], args[1]);
    },
  };
}

const SESSION_CONTROL: ExchangeOpening = Object.freeze({ handshake: true });

const isClient = (name: string): boolean => name.length === 6 && name.toUpperCase() === 'CLIENT';

/** How many first elements of a command to note: three for CLIENT (its subcommand and mode), else its name. */
const clientArguments = (first: string): number => (isClient(first) ? 3 : 1);

/**
 * Follows CLIENT REPLY: after OFF redis answers nothing until ON; SKIP silences the next
 * command. OFF and SKIP themselves get no answer, ON gets `+OK`.
 */
class ReplyMode {
  private off = false;
  private skipNext = false;

  /** Whether a command goes unanswered; `mode` is the ON/OFF/SKIP of a CLIENT REPLY. */
  unanswered(mode: string | undefined): boolean {
    if (mode !== undefined) {
      const setting = mode.toUpperCase();
      if (setting === 'ON') {
        this.off = this.skipNext = false;
        return false;
      }
      if (setting === 'OFF') this.off = true;
      else if (setting === 'SKIP') this.skipNext = !this.off;
      else return this.unansweredNow();
      return true;
    }
    return this.unansweredNow();
  }

  private unansweredNow(): boolean {
    if (this.off) return true;
    if (!this.skipNext) return false;
    this.skipNext = false;
    return true;
  }
}
