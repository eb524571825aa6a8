// What a cluster's primary and its workers say to each other over Node's IPC channel. Every
// message carries `vaurien` (its kind), so it is never taken for another library's. The channel
// keeps order: a worker applies changes in the order the primary sent them.
import type { StatsSnapshot } from '../control/stats.js';
import type { FaultRecord } from '../faults/fault-record.js';
import type { HostPort } from '../proxy/address.js';
import type { RawOptions } from '../proxy/proxy.js';

/** The environment variable that makes a process a vaurien worker, with its `WorkerStart`. */
export const WORKER_ENV = 'VAURIEN_CLUSTER_WORKER';

/** A behavior set as the control API set it: the arguments of `VaurienProxy.setBehavior`. */
export interface BehaviorChange {
  readonly spec: string;
  readonly options: Readonly<Record<string, RawOptions>>;
  readonly where: string;
}

/** Live settings changed through the control API since the cluster started. */
export interface LiveSettings {
  readonly behavior?: BehaviorChange;
  readonly backend?: HostPort;
}

/** What a worker is started with (JSON in `WORKER_ENV`); its command line is the primary's. */
export interface WorkerStart extends LiveSettings {
  /** 0 … count-1: numbers the worker's connections slot+1, slot+1+count, … */
  readonly slot: number;
  readonly count: number;
  /** The run's seed (the primary's, printed once). */
  readonly seed: number;
  /** The primary wants fault records (a fault log, or `GET /events` subscribers). */
  readonly faults: boolean;
}

export type ToWorker =
  | { readonly vaurien: 'behavior'; readonly id: number; readonly change: BehaviorChange }
  | { readonly vaurien: 'backend'; readonly id: number; readonly backend: HostPort }
  | { readonly vaurien: 'stats'; readonly id: number }
  | { readonly vaurien: 'stop'; readonly graceSeconds: number }
  /** Send fault records from now on (or stop): someone listens in the primary, or no longer. */
  | { readonly vaurien: 'faults'; readonly listening: boolean };

export type FromWorker =
  | { readonly vaurien: 'ready'; readonly address: HostPort }
  | { readonly vaurien: 'reply'; readonly id: number; readonly stats?: StatsSnapshot; readonly error?: string }
  /** Fault records of exchanges that ended, in order, a batch per turn of the worker's event loop. */
  | { readonly vaurien: 'faults'; readonly records: readonly FaultRecord[] };

const TO_WORKER = new Set(['behavior', 'backend', 'stats', 'stop', 'faults']);
const FROM_WORKER = new Set(['ready', 'reply', 'faults']);

export function isToWorker(message: unknown): message is ToWorker {
  return kindOf(message) !== undefined && TO_WORKER.has(kindOf(message) as string);
}

export function isFromWorker(message: unknown): message is FromWorker {
  return kindOf(message) !== undefined && FROM_WORKER.has(kindOf(message) as string);
}

function kindOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const kind = (message as { vaurien?: unknown }).vaurien;
  return typeof kind === 'string' ? kind : undefined;
}

/** The worker's start, when this process is a vaurien worker. */
export function workerStartFromEnv(env = process.env): WorkerStart | undefined {
  const text = env[WORKER_ENV];
  if (text === undefined || text === '') return undefined;
  return JSON.parse(text) as WorkerStart;
}
