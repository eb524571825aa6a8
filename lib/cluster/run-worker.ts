// A cluster worker: the proxy of the command line on the port the cluster shares, without the
// control API (its primary has it). It applies what the primary forwards (behavior, backend),
// answers its stats requests, says when it listens, and stops when told or signalled.
import cluster from 'node:cluster';
import { startFromSettings, type RunningProxy } from '../cli/run-proxy.js';
import type { RunSettings } from '../cli/settings.js';
import { StopRequests } from '../cli/stop-requests.js';
import type { ProgramIo } from '../cli/vaurien-program.js';
import type { VaurienProxy } from '../proxy/proxy.js';
import { FaultForwarder } from './fault-forwarder.js';
import { isToWorker, type FromWorker, type LiveSettings, type ToWorker, type WorkerStart } from './messages.js';

/** Runs until the primary (or a signal) stops it; resolves with the exit status. */
export async function runWorker(settings: RunSettings, io: ProgramIo, start: WorkerStart): Promise<number> {
  const stops = new StopRequests();
  let running: RunningProxy | undefined;
  let forwarder: FaultForwarder | undefined;
  let graceSeconds = settings.grace;
  const onMessage = (message: unknown): void => {
    if (!isToWorker(message)) return;
    if (message.vaurien === 'faults') forwarder?.setListening(message.listening);
    else if (message.vaurien === 'stop') {
      if (!stops.isRequested) {
        graceSeconds = message.graceSeconds;
        stops.request('told by the primary');
      } else if (message.graceSeconds === 0) void running?.proxy.close(0);
    } else if (running !== undefined) answer(running.proxy, message);
  };
  process.on('message', onMessage);
  try {
    running = await startFromSettings({ ...settings, http: false, seed: start.seed }, io, {
      quiet: true,
      worker: { numbering: { first: start.slot + 1, step: start.count }, prepare: (proxy) => applyLive(proxy, start) },
    });
    const proxy = running.proxy;
    forwarder = new FaultForwarder(proxy.faults, send);
    forwarder.setListening(start.faults);
    stops.onUrgent(() => void proxy.close(0));
    send({ vaurien: 'ready', address: proxy.address() });
    const reason = await stops.first;
    running.log.debug(`worker ${start.slot + 1}: ${reason}: stopping, open exchanges have ${graceSeconds}s to finish`);
    await running.stop(graceSeconds);
    // Exchanges that ended while stopping (hung ones cut at the end) reach the primary too.
    forwarder.flush();
    return 0;
  } finally {
    process.off('message', onMessage);
    stops.dispose();
    // The IPC channel would keep the process alive: leave the cluster once stopped.
    cluster.worker?.disconnect();
  }
}

/** Applies a change the primary forwards, or reads the counters, and replies. */
function answer(proxy: VaurienProxy, message: Exclude<ToWorker, { vaurien: 'stop' | 'faults' }>): void {
  try {
    if (message.vaurien === 'stats') return send({ vaurien: 'reply', id: message.id, stats: proxy.stats() });
    if (message.vaurien === 'behavior') applyLive(proxy, { behavior: message.change });
    else applyLive(proxy, { backend: message.backend });
    send({ vaurien: 'reply', id: message.id });
  } catch (error) {
    // The primary checked the change against the same tables: reaching here is a bug, reported.
    send({ vaurien: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
}

function applyLive(proxy: VaurienProxy, live: LiveSettings): void {
  if (live.behavior !== undefined) proxy.setBehavior(live.behavior.spec, live.behavior.options, live.behavior.where);
  if (live.backend !== undefined) proxy.setBackend(live.backend);
}

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}
