// What the control API drives in a cluster's primary. A proxy that never listens (the model)
// checks every change against the same tables as the workers' proxies and answers the reads;
// a change the model accepted goes to every worker, and the API answers once they all have it,
// so a connection opened after the answer gets the new setting whichever worker takes it.
import { sumSnapshots, type StatsSnapshot } from '../control/stats.js';
import type { ControlledProxy } from '../control/routes.js';
import type { FaultFeed } from '../faults/fault-feed.js';
import { formatHostPort, type HostPort } from '../proxy/address.js';
import type { BehaviorSetting, RawOptions, VaurienProxy } from '../proxy/proxy.js';
import type { TlsSetting } from '../proxy/tls-options.js';
import type { ClusterWorkers } from './cluster-workers.js';

export class ClusterControl implements ControlledProxy {
  private readonly startedAt = performance.now();

  constructor(
    private readonly model: VaurienProxy,
    private readonly workers: ClusterWorkers,
    /** The workers' fault records (`GET /events`). */
    readonly faults: FaultFeed,
  ) {}

  /** Where the workers listen, once they do (the name `GET /proxy` gives). */
  listening: HostPort | undefined;

  get seed(): number {
    return this.model.seed;
  }

  describe(): { readonly name: string; readonly protocol: string } {
    return { name: this.listening === undefined ? 'proxy' : formatHostPort(this.listening), protocol: this.model.protocol.name };
  }

  getBehavior(): BehaviorSetting {
    return this.model.getBehavior();
  }

  async setBehavior(spec: string, options: Readonly<Record<string, RawOptions>> = {}, where = '--behavior'): Promise<void> {
    this.model.setBehavior(spec, options, where); // throws (a 400) before any worker is told
    await this.workers.setBehavior({ spec, options, where });
  }

  getBackend(): HostPort {
    return this.model.getBackend();
  }

  async setBackend(backend: HostPort): Promise<void> {
    this.model.setBackend(backend);
    await this.workers.setBackend(backend);
  }

  /** The workers run the primary's command line: its TLS settings are theirs. */
  getTls(): TlsSetting {
    return this.model.getTls();
  }

  /** The workers' counters added up, with each worker's connections. */
  async stats(): Promise<StatsSnapshot> {
    const uptimeSeconds = Math.round((performance.now() - this.startedAt) / 10) / 100;
    return sumSnapshots(await this.workers.stats(), this.model.protocol.name, uptimeSeconds);
  }
}
