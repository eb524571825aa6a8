// The fault records of every proxy of a `vaurien server`, in one feed (the fault log file, `GET
// /events`, in-process listeners). A proxy's own feed is listened to only while this one has a
// listener, so a server nobody asked for a fault log watches no exchange at all.
import { FaultFeed } from '../faults/fault-feed.js';

export class ServerFaults {
  readonly feed = new FaultFeed();
  /** The running proxies' feeds, each with its forwarder's unsubscribe while the server feed listens. */
  private readonly proxies = new Map<FaultFeed, (() => void) | undefined>();

  /** @param all every exchange gets a record, dummy ones too (`--fault-log-all`) */
  constructor(private readonly all = false) {
    this.feed.whenListening((listening) => {
      for (const proxyFeed of this.proxies.keys()) this.forward(proxyFeed, listening);
    });
  }

  /** A proxy started: its records go to the server's feed. Returns what detaches it (once it closed: its last records still come). */
  attach(proxyFeed: FaultFeed): () => void {
    proxyFeed.all = this.all;
    this.proxies.set(proxyFeed, undefined);
    this.forward(proxyFeed, this.feed.listening);
    return () => {
      this.proxies.get(proxyFeed)?.();
      this.proxies.delete(proxyFeed);
    };
  }

  private forward(proxyFeed: FaultFeed, listening: boolean): void {
    this.proxies.get(proxyFeed)?.();
    this.proxies.set(proxyFeed, listening ? proxyFeed.subscribe((record) => this.feed.publish(record)) : undefined);
  }
}
