// Toxiproxy's `noop`: does nothing. Identity: no Observable is made for it.
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';
import { streamOption } from './toxic-stream.js';

export const noop = defineBehavior<{ stream: string }>({
  name: 'noop',
  description: 'Toxiproxy noop: does nothing',
  scope: 'stream',
  options: { stream: streamOption },
  operator: () => identity,
});
