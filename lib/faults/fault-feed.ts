// Where a proxy's fault records go: the fault log file, `GET /events` subscribers, in-process
// listeners. With no listener the proxy watches no exchange at all (`listening` is false), so a
// proxy nobody asked for a fault log pays one branch per faulted exchange and nothing per dummy one.
import type { FaultListener, FaultRecord } from './fault-record.js';

export class FaultFeed {
  /** Every exchange gets a record, dummy ones too (`--fault-log-all`). */
  all = false;
  private readonly listeners = new Set<FaultListener>();
  private onChange: ((listening: boolean) => void) | undefined;

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Adds `listener`; returns the function that removes it. */
  subscribe(listener: FaultListener): () => void {
    const was = this.listening;
    this.listeners.add(listener);
    if (!was) this.onChange?.(true);
    return () => {
      if (this.listeners.delete(listener) && !this.listening) this.onChange?.(false);
    };
  }

  /** Told when the feed starts or stops having listeners (a cluster worker forwards its lines only then). */
  whenListening(onChange: (listening: boolean) => void): void {
    this.onChange = onChange;
  }

  publish(record: FaultRecord): void {
    for (const listener of this.listeners) {
      // A listener's failure (a closed file, a plugin's callback) never reaches the connection.
      try {
        listener(record);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
