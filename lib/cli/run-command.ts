// The `vaurien` command (not the demo): one process, a cluster's primary (--workers N), or one of
// its workers (a process the primary forked, told so by its environment).
import cluster from 'node:cluster';
import { runPrimary } from '../cluster/run-primary.js';
import { runWorker } from '../cluster/run-worker.js';
import { workerStartFromEnv } from '../cluster/messages.js';
import { runProxy } from './run-proxy.js';
import type { RunSettings } from './settings.js';
import type { ProgramIo } from './vaurien-program.js';

/** Runs until a signal (or, in a worker, the primary) stops it; resolves with the exit status. */
export function runProxyCommand(settings: RunSettings, io: ProgramIo): Promise<number> {
  const workerStart = cluster.isWorker ? workerStartFromEnv() : undefined;
  if (workerStart !== undefined) return runWorker(settings, io, workerStart);
  if (settings.workers > 1) return runPrimary(settings, io);
  return runProxy(settings, io);
}
