// A proxy's side of the fault log: decides, as each exchange given a behavior opens, whether it is
// watched (only while the feed has a listener), and makes its recorder with what the record needs
// from the proxy and the connection (their names, the protocol's summary).
import type { Direction } from '../contract/message.js';
import type { ProtocolDefinition } from '../contract/protocol.js';
import type { ExchangeWatch } from '../pipeline/exchange-watch.js';
import type { ExchangePick } from '../pipeline/exchanges.js';
import { ExchangeRecorder } from './exchange-recorder.js';
import type { FaultFeed } from './fault-feed.js';
import type { FaultRecord } from './fault-record.js';
import { summarizerOf } from './request-summary.js';

/** What a record says of its connection. */
export interface WatchedConnection {
  /** The connection's number (accept order). */
  readonly index: number;
  /** The client's `host:port`. */
  readonly clientAddress: string;
}

export class FaultWatcher {
  private readonly summarize;
  private readonly publish = (record: FaultRecord): void => this.feed.publish(record);

  constructor(
    readonly feed: FaultFeed,
    protocol: ProtocolDefinition,
    /** The proxy's name in records (read per record: it is known once the proxy listens). */
    private readonly proxyName: () => string,
  ) {
    this.summarize = summarizerOf(protocol);
  }

  watch(connection: WatchedConnection, exchange: number, pick: ExchangePick, opener: Direction): ExchangeWatch | undefined {
    if (!this.feed.listening) return undefined;
    return new ExchangeRecorder({
      proxy: this.proxyName(),
      connection: connection.index,
      client: connection.clientAddress,
      exchange,
      pick,
      opener,
      summarize: this.summarize,
      publish: this.publish,
    });
  }
}
