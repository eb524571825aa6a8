// Faults for a while (SPEC 14): a setting with a duration is put back by itself when it runs out.
// Timed settings do not stack: each restores the last untimed one, any new setting replaces the
// timer, and a change made around the API wins (nothing is restored over it).
import type { Logger } from '../log.js';
import type { BehaviorSetting, RawOptions } from '../proxy/proxy.js';
import type { ControlledProxy } from './routes.js';

/** What `GET /behavior` adds while a timed setting is in force. */
export interface TimedState {
  /** Seconds left, to a tenth. */
  readonly remaining: number;
  /** What comes back when they run out. */
  readonly restores: BehaviorSetting;
}

export class BehaviorTimer {
  private timer: NodeJS.Timeout | undefined;
  private endsAt = 0;
  /** The setting in force before the first timed one, to come back. */
  private base: BehaviorSetting | undefined;
  /** The timed setting as the proxy took it: if it changed meanwhile, someone else changed it. */
  private timed = '';

  constructor(
    private readonly proxy: ControlledProxy,
    private readonly log: Logger,
  ) {}

  /** Sets the behavior; with `durationSeconds`, only for that long. */
  async set(spec: string, options: Readonly<Record<string, RawOptions>>, where: string, durationSeconds?: number): Promise<void> {
    const base = this.base ?? this.proxy.getBehavior();
    await this.proxy.setBehavior(spec, options, where);
    this.cancel();
    if (durationSeconds === undefined) return;
    this.base = base;
    this.timed = JSON.stringify(this.proxy.getBehavior());
    this.endsAt = performance.now() + durationSeconds * 1000;
    // Unref'd: a pending restore never keeps a stopping process alive.
    this.timer = setTimeout(() => void this.restore(), durationSeconds * 1000).unref();
  }

  /** The timed setting's state, or undefined when none is in force. */
  state(): TimedState | undefined {
    if (this.timer === undefined || this.base === undefined) return undefined;
    return { remaining: Math.max(0, Math.round((this.endsAt - performance.now()) / 100) / 10), restores: this.base };
  }

  /** Forgets the timed setting (a new one came, or the API closes). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.base = undefined;
  }

  private async restore(): Promise<void> {
    const base = this.base;
    this.timer = undefined;
    this.base = undefined;
    if (base === undefined) return;
    if (JSON.stringify(this.proxy.getBehavior()) !== this.timed) return; // changed from elsewhere: that change stands
    try {
      await this.proxy.setBehavior(base.behavior, base.options, 'duration');
      this.log.info(`control API: duration over, behavior back to "${base.behavior}"`);
    } catch (error) {
      this.log.error(`control API: could not restore "${base.behavior}" after a duration: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
