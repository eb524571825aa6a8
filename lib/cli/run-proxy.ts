// Runs the proxy the command line described until SIGINT/SIGTERM, then shuts down gracefully:
// stop accepting, let open exchanges finish for up to --grace seconds, close the rest, exit 0.
// Its pieces (the proxy's options, the control API, the start-up line) serve a cluster's
// primary and workers too (lib/cluster/).
import { startControlApi, type ControlApi } from '../control/http-api.js';
import type { ControlledProxy } from '../control/routes.js';
import { openFaultLog, type FaultLogFile } from '../faults/fault-log-file.js';
import { createLogger, type Logger } from '../log.js';
import { formatHostPort, type HostPort } from '../proxy/address.js';
import { createProxy, type ProxyOptions, type VaurienProxy } from '../proxy/proxy.js';
import type { ExchangeEvent } from '../proxy/connection.js';
import { VERSION } from '../version.js';
import type { ProgramIo } from './vaurien-program.js';
import type { RunSettings } from './settings.js';
import { StopRequests } from './stop-requests.js';

export interface RunningProxy {
  readonly proxy: VaurienProxy;
  readonly api: ControlApi | undefined;
  readonly log: Logger;
  /** Stops everything, giving open exchanges `graceSeconds`. */
  stop(graceSeconds: number): Promise<void>;
}

export interface StartExtras {
  /** Told of every exchange and the behavior it got. */
  readonly onExchange?: (event: ExchangeEvent) => void;
  /** No start-up line (the demo prints its own). */
  readonly quiet?: boolean;
  /** A cluster worker's part (lib/cluster/run-worker.ts): no warnings (its primary gave them). */
  readonly worker?: {
    /** How the worker numbers its connections (see `ProxyOptions.numbering`). */
    readonly numbering: { readonly first: number; readonly step: number };
    /** Settings changed through the API since the cluster started, applied before listening. */
    prepare(proxy: VaurienProxy): void;
  };
}

/** The fault log of the settings (`--fault-log`), opened now: a bad path is a start-up error. */
export function openSettingsFaultLog(settings: RunSettings, io: ProgramIo): FaultLogFile | undefined {
  return settings.faultLog === undefined ? undefined : openFaultLog(settings.faultLog, io.stdout);
}

/** Starts the proxy (and the control API with --http) as `settings` say. */
export async function startFromSettings(settings: RunSettings, io: ProgramIo, extra: StartExtras = {}): Promise<RunningProxy> {
  const log = createLogger(settings.logLevel, settings.logOutput);
  if (extra.worker === undefined) for (const warning of settings.warnings) log.warning(warning);
  // A worker's records go to its primary, which writes the one file (lib/cluster/).
  const faultLog = extra.worker === undefined ? openSettingsFaultLog(settings, io) : undefined;
  const proxy = createProxy({
    ...proxyOptionsOf(settings),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(extra.worker !== undefined ? { numbering: extra.worker.numbering } : {}),
    log,
    ...(extra.onExchange !== undefined ? { onExchange: extra.onExchange } : {}),
    ...(faultLog !== undefined ? { faultLog: faultLog.listener } : {}),
  });
  extra.worker?.prepare(proxy);
  const address = await proxy.listen(settings.proxy.port, settings.proxy.host);
  let api: ControlApi | undefined;
  if (settings.http) {
    try {
      api = await startSettingsApi(proxy, settings, log);
    } catch (error) {
      await proxy.close();
      await faultLog?.close();
      throw error;
    }
  }
  if (extra.quiet !== true) io.stdout.write(startLine(settings, address, proxy, api));
  return {
    proxy,
    api,
    log,
    async stop(graceSeconds) {
      await api?.close();
      await proxy.close(graceSeconds);
      await faultLog?.close();
      await log.close();
    },
  };
}

/** The proxy's options from the run's settings (its seed, log and numbering apart). */
export function proxyOptionsOf(settings: RunSettings): ProxyOptions {
  return {
    backend: settings.backend,
    protocol: settings.protocol,
    protocolOptions: settings.protocolOptions,
    behavior: settings.behavior,
    behaviorOptions: settings.behaviorOptions,
    timeout: settings.timeout,
    stayConnected: settings.stayConnected,
    backlog: settings.backlog,
    poolMaxSize: settings.poolMaxSize,
    poolTimeout: settings.poolTimeout,
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
    ...(settings.backendTls !== undefined ? { backendTls: settings.backendTls } : {}),
    faultLogAll: settings.faultLogAll,
  };
}

/** The control API as the settings describe it, driving `proxy` (one process's, or a cluster's). */
export function startSettingsApi(proxy: ControlledProxy, settings: RunSettings, log: Logger): Promise<ControlApi> {
  if (!isLoopback(settings.httpHost) && settings.httpToken === undefined) {
    log.warning(`the control API listens on ${settings.httpHost} without --http-token: anyone who can reach it can steer the proxy`);
  }
  return startControlApi(proxy, {
    host: settings.httpHost,
    port: settings.httpPort,
    ...(settings.httpToken !== undefined ? { token: settings.httpToken } : {}),
    cors: settings.httpCors,
    log,
  });
}

/** The start-up line: where, to where, how, the seed to replay the run, the control API. */
export function startLine(settings: RunSettings, address: HostPort, proxy: ControlledProxy & { readonly seed: number }, api: ControlApi | undefined, workers = 1): string {
  return (
    `vaurien ${VERSION}: proxying ${settings.tls !== undefined ? 'tls://' : ''}${formatHostPort(address)} -> ` +
    `${settings.backendTls !== undefined ? 'tls://' : ''}${formatHostPort(proxy.getBackend())} ` +
    `(protocol ${settings.protocol}, behavior ${proxy.getBehavior().behavior}, seed ${proxy.seed}` +
    (workers > 1 ? `, ${workers} workers` : '') +
    ')' +
    (api !== undefined ? `, control API on http://${formatHostPort(api.address)}` : '') +
    '\n'
  );
}

/** The `vaurien` command in one process: runs until a signal, resolves with the exit status. */
export async function runProxy(settings: RunSettings, io: ProgramIo): Promise<number> {
  const stops = new StopRequests();
  try {
    const running = await startFromSettings(settings, io);
    // A second signal does not wait for the grace period.
    stops.onUrgent(() => void running.proxy.close(0));
    const reason = await stops.first;
    running.log.info(`${reason}: no new connections; open exchanges have ${settings.grace}s to finish`);
    await running.stop(settings.grace);
    return 0;
  } finally {
    stops.dispose();
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

