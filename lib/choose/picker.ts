// Seeded weighted choice of a behavior per exchange, and of the stream behaviors a connection
// gets. A plan is immutable: changing the behavior live swaps the plan, so an exchange keeps the
// behavior it was given.
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { OptionValues } from '../contract/options.js';
import type { Rng } from '../rng.js';

export interface BehaviorChoice {
  readonly definition: BehaviorDefinition;
  readonly options: OptionValues;
  /** Percentage of exchanges. */
  readonly weight: number;
  /** What gave it, when not a weighted set: a server toxic's name (the fault log's `toxic`). */
  readonly label?: string;
}

export class BehaviorPlan {
  /** The exchange behaviors, drawn per exchange. */
  readonly exchangeChoices: readonly BehaviorChoice[];
  /** The stream behaviors: each applies to a connection with its weight as the chance. */
  readonly streamChoices: readonly BehaviorChoice[];
  /** Cumulative upper bounds of each exchange choice, in percent. */
  private readonly bounds: number[];
  /** Set when one behavior takes every exchange: no draw is needed. */
  private readonly always: BehaviorChoice | undefined;

  /** `choices` exclude dummy; the share left up to 100 is dummy. */
  constructor(readonly choices: readonly BehaviorChoice[]) {
    this.exchangeChoices = choices.filter((choice) => choice.definition.scope !== 'stream');
    this.streamChoices = choices.filter((choice) => choice.definition.scope === 'stream');
    let total = 0;
    this.bounds = this.exchangeChoices.map((choice) => (total += choice.weight));
    const only = this.exchangeChoices[0];
    this.always = this.exchangeChoices.length === 1 && only !== undefined && only.weight >= 100 ? only : undefined;
  }

  /** True when every exchange is dummy: the connection can skip choosing altogether. */
  get isAllDummy(): boolean {
    return this.exchangeChoices.length === 0;
  }

  /** The behavior of the next exchange; undefined means dummy. */
  choose(rng: Rng): BehaviorChoice | undefined {
    if (this.always !== undefined) return this.always;
    if (this.exchangeChoices.length === 0) return undefined;
    const draw = rng.float() * 100;
    for (let i = 0; i < this.bounds.length; i++) {
      if (draw < (this.bounds[i] as number)) return this.exchangeChoices[i];
    }
    return undefined;
  }
}
