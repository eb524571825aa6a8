// The `stream` option every Toxiproxy toxic has, and what it means for a stream behavior:
// `upstream` is client → backend (the request direction), `downstream` backend → client.
import type { Direction } from '../../lib/contract/message.js';
import type { OptionSpec } from '../../lib/contract/options.js';

export type ToxicStream = 'upstream' | 'downstream';

export const streamOption: OptionSpec<string> = {
  type: 'string',
  default: 'downstream',
  choices: ['upstream', 'downstream'],
  description: 'Which direction it acts on: upstream (client to backend) or downstream (backend to client)',
};

/** setTimeout's ceiling in milliseconds: the `max` of every millisecond attribute. */
export const MAX_TIMER_MS = 2_147_483_647;

/** True when a toxic set on `stream` acts on `direction`. */
export function actsOn(direction: Direction, stream: string): boolean {
  return direction === (stream === 'upstream' ? 'request' : 'response');
}
