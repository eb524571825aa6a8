// `vaurien --workers N` (N > 1): this process forks N workers that serve the proxy port together
// (node:cluster shares it), runs the control API for all of them, prints the start-up line once,
// and on SIGINT/SIGTERM stops them with the same grace period a single process gives.
import { openSettingsFaultLog, proxyOptionsOf, startLine, startSettingsApi } from '../cli/run-proxy.js';
import type { RunSettings } from '../cli/settings.js';
import { StopRequests } from '../cli/stop-requests.js';
import type { ProgramIo } from '../cli/vaurien-program.js';
import type { ControlApi } from '../control/http-api.js';
import { FaultFeed } from '../faults/fault-feed.js';
import { createLogger, silentLogger } from '../log.js';
import { createProxy } from '../proxy/proxy.js';
import { randomSeed } from '../rng.js';
import type { FaultLogFile } from '../faults/fault-log-file.js';
import { ClusterControl } from './cluster-control.js';
import { ClusterWorkers, WorkerStartFailure } from './cluster-workers.js';

/** Runs the cluster until a signal; resolves with the exit status. */
export async function runPrimary(settings: RunSettings, io: ProgramIo): Promise<number> {
  const stops = new StopRequests();
  const log = createLogger(settings.logLevel, settings.logOutput);
  let faultLog: FaultLogFile | undefined;
  try {
    for (const warning of settings.warnings) log.warning(warning);
    const seed = settings.seed ?? randomSeed();
    // The same options as a worker's proxy: a mistake is reported here, before any fork.
    const model = createProxy({ ...proxyOptionsOf(settings), seed, log: silentLogger });
    // The workers' fault records, gathered here: one writer for the one file, and `GET /events`.
    const faults = new FaultFeed();
    faultLog = openSettingsFaultLog(settings, io);
    if (faultLog !== undefined) faults.subscribe(faultLog.listener);
    const workers = new ClusterWorkers(settings.workers, seed, log, faults);
    stops.onUrgent(() => workers.stopNow());
    const control = new ClusterControl(model, workers, faults);
    let api: ControlApi | undefined;
    try {
      const address = await workers.start();
      control.listening = address;
      if (settings.http) api = await startSettingsApi(control, settings, log);
      if (!stops.isRequested) io.stdout.write(startLine(settings, address, control, api, settings.workers));
    } catch (error) {
      await workers.stop(0);
      if (error instanceof WorkerStartFailure) return error.exitCode; // the worker said why
      throw error;
    }
    const reason = await stops.first;
    log.info(`${reason}: no new connections; open exchanges have ${settings.grace}s to finish`);
    await api?.close();
    await workers.stop(settings.grace);
    return 0;
  } finally {
    stops.dispose();
    await faultLog?.close();
    await log.close();
  }
}
