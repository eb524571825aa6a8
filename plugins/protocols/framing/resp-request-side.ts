// The request half of the redis framer: each command (a RESP array or an inline line) opens an
// exchange whose info names it (`{ command: 'GET' }`; (un)subscribe commands add `channels`).
// Empty commands (`*0`, a blank line) get no reply from redis, so they stay outside exchanges.
import type { MessageInfo } from '../../../lib/contract/message.js';
import type { FramerContext } from '../../../lib/contract/protocol.js';
import { OUTSIDE, type RespSide, type Stamp } from './resp-framer.js';
import { splitInline } from './resp-inline.js';
import { PUBSUB_COMMANDS } from './resp-pubsub.js';
import { RespType, type RespScanner } from './resp-scanner.js';

/** Distinct command names whose info object is reused; garbage names cannot grow it further. */
const INFO_CACHE_SIZE = 256;

export function createRespRequestSide(context: FramerContext): RespSide {
  const infos = new Map<string, MessageInfo>();

  // Keyed by the name as sent (`get`, `GET`): a hit costs no upper-casing.
  const infoFor = (name: string, argumentCount: number): MessageInfo => {
    const cached = infos.get(name);
    if (cached !== undefined) return cached;
    const command = name.toUpperCase();
    if (PUBSUB_COMMANDS.has(command)) return { command, channels: argumentCount };
    const info = Object.freeze({ command });
    if (infos.size < INFO_CACHE_SIZE) infos.set(name, info);
    return info;
  };

  // One stamp refilled for each command, not an object per command: the framer is done with
  // a command's stamp before it asks for the next one.
  const stamp: { exchange: number; first: true; info: MessageInfo | undefined } = { exchange: 0, first: true, info: undefined };
  const open = (name: string | undefined, argumentCount: number): Stamp => {
    stamp.exchange = context.openExchange();
    stamp.info = name === undefined ? undefined : infoFor(name, argumentCount);
    return stamp;
  };

  return {
    notedElements: 1, // the command name
    decide(scanner: RespScanner, forced: boolean): Stamp | undefined {
      if (scanner.topType === 0) return forced ? open(undefined, 0) : undefined; // the array's length is still coming
      const length = scanner.topLength;
      if (length === 0 || length === -1) return OUTSIDE;
      if (scanner.knownElements === 0 && !forced) return undefined;
      const nameType = scanner.elementTypes[0];
      const named = scanner.knownElements > 0 && (nameType === RespType.bulk || nameType === RespType.simple);
      return open(named ? scanner.elementTexts[0] : undefined, Number.isFinite(length) ? length - 1 : 0);
    },
    complete: () => true,
    inline(line: Buffer): Stamp {
      const { name, words } = splitInline(line);
      return words === 0 ? OUTSIDE : open(name, words - 1);
    },
  };
}
