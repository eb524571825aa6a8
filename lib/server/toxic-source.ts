// A server proxy's toxics as its connections' behaviors (a BehaviorSource): stream toxics drawn
// once per connection, behavior toxics per exchange on a framed protocol (per connection on tcp),
// in the order added, upstream first; every draw from the connection's seeded generator.
import { identity } from 'rxjs';
import type { BehaviorChoice } from '../choose/picker.js';
import type { BehaviorDefinition } from '../contract/behavior.js';
import type { FaultRecord } from '../faults/fault-record.js';
import type { WatchedConnection } from '../faults/fault-watcher.js';
import { recordedStreamBehavior } from '../faults/stream-recorder.js';
import type { StreamBehavior } from '../pipeline/connection-pipelines.js';
import type { ExchangePick } from '../pipeline/exchanges.js';
import type { BehaviorSource } from '../proxy/behavior-source.js';
import type { RngSource } from '../proxy/connection.js';
import { toxicOptions, type Toxic } from './toxic.js';

const NONE: readonly StreamBehavior[] = [];

/** Where stream toxics' records go while someone listens (the proxy's fault feed); undefined: nobody does. */
export interface StreamRecording {
  readonly proxy: string;
  readonly publish: (record: FaultRecord) => void;
}

export class ToxicSource implements BehaviorSource {
  private streamToxics: readonly Toxic[] = [];
  private exchangeToxics: readonly Toxic[] = [];
  /** Per connection, per toxic revision: was it drawn (kept while the toxic stays as it is). */
  private readonly draws = new WeakMap<RngSource, Map<number, boolean>>();
  /** Exchanges each behavior toxic was given, for `warmup` and `agitate` (per proxy, as vaurien counts). */
  private readonly counts = new Map<string, number>();
  private readonly choices = new WeakMap<Toxic, BehaviorChoice>();
  /** Each stream toxic's definition, counting the connection directions it acts on. */
  private readonly counting = new WeakMap<Toxic, BehaviorDefinition>();

  /**
   * @param perExchange behavior toxics drawn per exchange (a framed protocol), else per connection
   * @param recording where stream toxics are recorded now (asked per connection)
   * @param streamFaults bumped, by type, for each connection direction a stream toxic acts on
   */
  constructor(
    private readonly perExchange: boolean,
    private readonly recording: () => StreamRecording | undefined = () => undefined,
    private readonly streamFaults = new Map<string, number>(),
  ) {}

  /** The proxy's toxics changed: `toxics` in the order they apply. */
  update(toxics: readonly Toxic[]): void {
    this.streamToxics = toxics.filter((toxic) => toxic.definition.scope === 'stream');
    this.exchangeToxics = toxics.filter((toxic) => toxic.definition.scope !== 'stream');
  }

  streamBehaviors(connection: RngSource & WatchedConnection): readonly StreamBehavior[] {
    if (this.streamToxics.length === 0) return NONE;
    const behaviors: StreamBehavior[] = [];
    // Asked once per call: a toxic already in force on the connection keeps its definition (same version).
    const recording = this.recording();
    for (const toxic of this.streamToxics) {
      if (!this.drawnFor(connection, toxic)) continue;
      const counted = this.countingDefinition(toxic);
      const definition =
        recording === undefined
          ? counted
          : recordedStreamBehavior(counted, { proxy: recording.proxy, connection: connection.index, client: connection.clientAddress, label: toxic.name, publish: recording.publish });
      behaviors.push({ key: toxic.name, version: toxic.revision, definition, options: toxicOptions(toxic) });
    }
    return behaviors;
  }

  choose(connection: RngSource): ExchangePick | undefined {
    const toxics = this.exchangeToxics;
    if (toxics.length === 0) return undefined;
    let pick: ExchangePick | undefined;
    // Built from the last: each pick's `then` is the toxic added after it.
    const chosen = toxics.filter((toxic) => (this.perExchange ? draw(connection, toxic.toxicity) : this.drawnFor(connection, toxic)));
    for (let at = chosen.length - 1; at >= 0; at--) {
      const toxic = chosen[at] as Toxic;
      const exchangesSoFar = this.counts.get(toxic.name) ?? 0;
      this.counts.set(toxic.name, exchangesSoFar + 1);
      pick = { choice: this.choiceOf(toxic), exchangesSoFar, then: pick };
    }
    return pick;
  }

  /** A toxic was removed: its counts start again if it comes back. */
  forget(name: string): void {
    this.counts.delete(name);
  }

  /** A stream toxic acting on a direction is a fault of its type, as an exchange a behavior acted on is (made once per toxic). */
  private countingDefinition(toxic: Toxic): BehaviorDefinition {
    let counted = this.counting.get(toxic);
    if (counted === undefined) {
      const { definition } = toxic;
      const faults = this.streamFaults;
      counted = {
        ...definition,
        operator(context) {
          const operator = definition.operator(context);
          if (operator !== identity) faults.set(definition.name, (faults.get(definition.name) ?? 0) + 1);
          return operator;
        },
      };
      this.counting.set(toxic, counted);
    }
    return counted;
  }

  private choiceOf(toxic: Toxic): BehaviorChoice {
    let choice = this.choices.get(toxic);
    if (choice === undefined) {
      choice = { definition: toxic.definition, options: toxicOptions(toxic), weight: toxic.toxicity * 100, label: toxic.name };
      this.choices.set(toxic, choice);
    }
    return choice;
  }

  private drawnFor(connection: RngSource, toxic: Toxic): boolean {
    let drawn = this.draws.get(connection);
    if (drawn === undefined) {
      drawn = new Map();
      this.draws.set(connection, drawn);
    }
    let hit = drawn.get(toxic.revision);
    if (hit === undefined) {
      hit = draw(connection, toxic.toxicity);
      drawn.set(toxic.revision, hit);
    }
    return hit;
  }
}

/** Toxiproxy's test: a draw in [0, 1) below the toxicity (1 always, 0 never, no draw for either). */
function draw(connection: RngSource, toxicity: number): boolean {
  if (toxicity >= 1) return true;
  if (toxicity <= 0) return false;
  return connection.rng.float() < toxicity;
}
