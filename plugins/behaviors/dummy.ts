// Forwards everything unchanged. Returning `identity` puts the stage on its fast path:
// no Observable is created for dummy traffic.
import { identity } from 'rxjs';
import { defineBehavior } from '../../lib/contract/behavior.js';

export const dummy = defineBehavior<Record<string, never>>({
  name: 'dummy',
  description: "Transparent behavior. Nothing's done.",
  options: {},
  operator: () => identity,
});
