// A request's short summary for the fault log: the protocol's own `summary`, else one made from
// the framer's `info` (its `command`, else its text values), else the request's size. Always one
// line of at most SUMMARY_MAX characters: a client's bytes can neither forge nor flood a record.
import type { Message } from '../contract/message.js';
import type { ProtocolDefinition } from '../contract/protocol.js';

export const SUMMARY_MAX = 160;
/** How much of a query a summary quotes (SPEC 13). */
export const QUERY_MAX = 100;

/** The summary function of `protocol`, failing soft: a plugin's summary that throws gives the default. */
export function summarizerOf(protocol: ProtocolDefinition): (request: Message) => string {
  const own = protocol.summary;
  if (own === undefined) return (request) => oneLine(defaultSummary(request));
  return (request) => {
    try {
      return oneLine(own.call(protocol, request));
    } catch {
      return oneLine(defaultSummary(request));
    }
  };
}

/** From `info`: `command` if there is one, else its text and number values; else the size. */
export function defaultSummary(request: Message): string {
  const info = request.info;
  if (info !== undefined) {
    const command = info['command'];
    if (typeof command === 'string' || typeof command === 'number') return String(command);
    const values = Object.values(info).filter((value) => typeof value === 'string' || typeof value === 'number');
    if (values.length > 0) return values.join(' ');
  }
  return `${request.bytes.length} bytes`;
}

/** `text` cut to `max` characters (an ellipsis says it was cut). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Whitespace runs (line breaks included) become one space; cut to SUMMARY_MAX. */
function oneLine(text: string): string {
  return clip(text.replace(/\s+/g, ' ').trim(), SUMMARY_MAX);
}
