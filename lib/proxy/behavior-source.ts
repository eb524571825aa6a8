// Where a proxy's behaviors can come from besides its weighted set: a `vaurien server` proxy draws
// them from its toxics. A source is asked per exchange and per connection, and draws from the
// connection's own seeded generator, so the same seed and traffic give the same faults.
import type { WatchedConnection } from '../faults/fault-watcher.js';
import type { StreamBehavior } from '../pipeline/connection-pipelines.js';
import type { ExchangePick } from '../pipeline/exchanges.js';
import type { RngSource } from './connection.js';

export interface BehaviorSource {
  /** The behaviors of a new exchange of `connection`, chained with `then`; undefined: dummy. */
  choose(connection: RngSource): ExchangePick | undefined;
  /**
   * The stream behaviors in force on `connection` (asked at accept, and again on
   * `refreshStreamBehaviors`); its number and client name them in fault records.
   */
  streamBehaviors(connection: RngSource & WatchedConnection): readonly StreamBehavior[];
}
