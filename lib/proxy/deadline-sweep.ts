// The idle and connect timeouts of a proxy's connections, checked by one timer for all of them.
// Per connection they were two timers: a socket timeout, re-armed (a timer-list insertion) on
// every read and every write, and a connect timer; with their closures, a fifth of what
// accepting a connection allocated. Deadlines are coarse here: each fires between its time and
// its time plus two sweep intervals (an eighth of the timeout, 10 ms to 1 s), never early.

/** A connection as the sweep sees it. */
export interface Swept {
  /** Ends the connection if one of its deadlines passed (`now`: the sweep's clock). */
  sweep(now: number): void;
}

/** What a connection reads of the sweep. */
export interface SweepClock {
  /** performance.now() at the last sweep: connections stamp their activity with it, for free. */
  readonly now: number;
  /** Added to a deadline so that a stamp up to one interval old never makes it fire early. */
  readonly intervalMs: number;
}

export class DeadlineSweep implements SweepClock {
  now = performance.now();
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    timeoutMs: number,
    private readonly connections: Iterable<Swept>,
  ) {
    this.intervalMs = Math.min(1000, Math.max(10, timeoutMs / 8));
  }

  /** Starts sweeping; the timer does not keep the process alive by itself. */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.now = performance.now();
    for (const connection of this.connections) connection.sweep(this.now);
  }
}
