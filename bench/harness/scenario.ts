// What a scenario is: a measurement run once per target and repetition, producing named
// metrics, and the table rows (with their targets from issue #5) those metrics feed.
import type { BenchOptions } from './options.js';
import type { Endpoints } from './endpoints.js';
import type { ProtocolName } from './wire.js';

/**
 * Where the traffic goes: straight to the backend, through the bare pipe proxy, through the
 * plainest Node proxy that pairs redis or memcache answers with their commands (`pair`),
 * through vaurien with `--protocol tcp`, with the protocol's own framing, or with chaos; through
 * a `vaurien server` proxy, or the real Toxiproxy's (with no toxic, or a 0 ms latency toxic); with
 * 10 % errors without and with `--fault-log`; with the control API, idle, watched by an event
 * stream and the dashboard's polling, or by a browser tab on the dashboard.
 */
export type TargetName =
  | 'direct'
  | 'pipe'
  | 'pair'
  | 'vaurien-tcp'
  | 'vaurien'
  | 'vaurien-delay'
  | 'vaurien-error'
  | 'vaurien-server'
  | 'toxiproxy'
  | 'toxiproxy-latency0'
  | 'vaurien-faults'
  | 'vaurien-faultlog'
  | 'vaurien-api'
  | 'vaurien-watched'
  | 'vaurien-tab';

export type Metrics = Readonly<Record<string, number>>;

export interface RunContext {
  readonly options: BenchOptions;
  readonly endpoints: Endpoints;
  /** How long this measurement runs (shorter for a warm-up). */
  readonly seconds: number;
  /** Most connections a scenario may hold open (from the fd limit). */
  readonly connectionCap: number;
  /** A line for the report's notes (printed once). */
  note(message: string): void;
}

/** A pass/fail target, evaluated on medians. */
export type Check =
  /** target is at least `min` times as good as base (higher-is-better: t/b, else b/t). */
  | { readonly kind: 'ratio'; readonly target: TargetName; readonly base: TargetName; readonly min: number }
  /** target exceeds base by at most `max` (in the row's unit). */
  | { readonly kind: 'added'; readonly target: TargetName; readonly base: TargetName; readonly max: number }
  | { readonly kind: 'atMost'; readonly target: TargetName; readonly max: number }
  | { readonly kind: 'atLeast'; readonly target: TargetName; readonly min: number }
  /**
   * Not a target: how the plainest Node code that does the row's work (the pipe, the pairing
   * proxy) compares with Toxiproxy, or vaurien with that code, where a target may be beyond
   * Node itself (issue #19): every full run shows the evidence.
   */
  | { readonly kind: 'reference'; readonly target: TargetName; readonly base: TargetName };

export type CompareAs = 'relative' | 'pipe' | 'absolute';

export interface RowSpec {
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly checks?: readonly Check[];
  /**
   * How --compare judges the row: 'relative' (default) divides each repetition's value by the
   * pipe proxy's (or direct's) in the same repetition; 'pipe' by the pipe proxy's only, and
   * compares values as they are where the pipe did not run (CPU time: what a system call costs
   * drifts from one run to the next, for every proxy alike); 'absolute' compares values as they
   * are (memory, opening rates).
   */
  readonly compareAs?: CompareAs;
}

export interface Scenario {
  /** Stable id, `protocol/name`: what --only matches and --compare keys on. */
  readonly id: string;
  readonly protocol: ProtocolName;
  /** The table's group (default: the protocol, or chaos): the TLS rows are shown together. */
  readonly group?: string;
  readonly targets: readonly TargetName[];
  /** Run each target once, unmeasured, before the repetitions. */
  readonly warmup: boolean;
  /** At most this many repetitions (slow scenarios). */
  readonly maxReps?: number;
  run(target: TargetName, context: RunContext): Promise<Metrics>;
  readonly rows: readonly RowSpec[];
}
