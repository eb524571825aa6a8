// The parts of a PipelinesHost a test of one direction does not watch: answers, closes and
// resets asked by behaviors go nowhere (there is no connection around the pipelines).
import type { PipelinesHost } from '../../lib/index.js';

export const UNWATCHED_HOST: Pick<PipelinesHost, 'answered' | 'closeClient' | 'endThenClose' | 'reset' | 'notice'> = {
  answered: () => {},
  closeClient: () => {},
  endThenClose: () => {},
  reset: () => {},
  notice: () => {},
};
