// SIGINT/SIGTERM as a process's stop requests: the first starts a graceful stop, a second one
// (during that stop) asks for an immediate one. The handlers go in before anything is printed
// and stay until disposed: a signal sent as soon as the banner is read, or a second one during
// shutdown, must never meet the default disposition (which kills the process at once, exit
// status lost).
export class StopRequests {
  /** Resolves with what asked first: the signal's name, or the reason given to `request`. */
  readonly first: Promise<string>;
  private resolveFirst: (reason: string) => void = () => {};
  private requested = false;
  private urgent: (() => void) | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.requested) this.urgent?.();
    else this.request(signal);
  };

  constructor() {
    this.first = new Promise((resolve) => (this.resolveFirst = resolve));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get isRequested(): boolean {
    return this.requested;
  }

  /** A stop asked for other than by a signal (a cluster worker told by its primary). */
  request(reason: string): void {
    if (this.requested) return;
    this.requested = true;
    this.resolveFirst(reason);
  }

  /** What a signal after the first does: stop without waiting for the grace period. */
  onUrgent(action: () => void): void {
    this.urgent = action;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
