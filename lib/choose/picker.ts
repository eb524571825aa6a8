// Seeded weighted choice of a behavior per exchange. A plan is immutable: changing the
// behavior live swaps the plan, so an exchange keeps the behavior it was given.
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { OptionValues } from '../contract/options.js';
import type { Rng } from '../rng.js';

export interface BehaviorChoice {
  readonly definition: BehaviorDefinition;
  readonly options: OptionValues;
  /** Percentage of exchanges. */
  readonly weight: number;
}

export class BehaviorPlan {
  /** Cumulative upper bounds of each choice, in percent. */
  private readonly bounds: number[];
  /** Set when one behavior takes every exchange: no draw is needed. */
  private readonly always: BehaviorChoice | undefined;

  /** `choices` exclude dummy; the share left up to 100 is dummy. */
  constructor(readonly choices: readonly BehaviorChoice[]) {
    let total = 0;
    this.bounds = choices.map((choice) => (total += choice.weight));
    const only = choices[0];
    this.always = choices.length === 1 && only !== undefined && only.weight >= 100 ? only : undefined;
  }

  /** True when every exchange is dummy: the connection can skip choosing altogether. */
  get isAllDummy(): boolean {
    return this.choices.length === 0;
  }

  /** The behavior of the next exchange; undefined means dummy. */
  choose(rng: Rng): BehaviorChoice | undefined {
    if (this.always !== undefined) return this.always;
    if (this.choices.length === 0) return undefined;
    const draw = rng.float() * 100;
    for (let i = 0; i < this.bounds.length; i++) {
      if (draw < (this.bounds[i] as number)) return this.choices[i];
    }
    return undefined;
  }
}
