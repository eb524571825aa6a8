// A cluster worker's fault records, sent to its primary (which writes the one fault log file and
// serves `GET /events`) while the primary wants them. Records that end within BATCH_MS go in one
// IPC message: one message per batch, not per record.
import type { FaultRecord } from '../faults/fault-record.js';
import type { FaultFeed } from '../faults/fault-feed.js';
import type { FromWorker } from './messages.js';

/** How long records wait to go together, and how many make a message anyway. */
const BATCH_MS = 20;
const BATCH_MAX = 256;

export class FaultForwarder {
  private unsubscribe: (() => void) | undefined;
  private batch: FaultRecord[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly feed: FaultFeed,
    private readonly send: (message: FromWorker) => void,
  ) {}

  /** Forwards from now on (`true`) or stops (`false`), as the primary says. */
  setListening(listening: boolean): void {
    if (listening && this.unsubscribe === undefined) this.unsubscribe = this.feed.subscribe((record) => this.add(record));
    else if (!listening && this.unsubscribe !== undefined) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }

  /** Sends what is batched now (before the worker stops). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.send({ vaurien: 'faults', records });
  }

  private add(record: FaultRecord): void {
    this.batch.push(record);
    if (this.batch.length >= BATCH_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS).unref();
  }
}
