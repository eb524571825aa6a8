// Runs the proxy the command line described until SIGINT/SIGTERM, then shuts down gracefully:
// stop accepting, let open exchanges finish for up to --grace seconds, close the rest, exit 0.
import { startControlApi, type ControlApi } from '../control/http-api.js';
import { createLogger, type Logger } from '../log.js';
import { formatHostPort } from '../proxy/address.js';
import { createProxy, type VaurienProxy } from '../proxy/proxy.js';
import type { ExchangeEvent } from '../proxy/connection.js';
import { VERSION } from '../version.js';
import type { ProgramIo } from './vaurien-program.js';
import type { RunSettings } from './settings.js';

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
}

/** Starts the proxy (and the control API with --http) as `settings` say. */
export async function startFromSettings(settings: RunSettings, io: ProgramIo, extra: StartExtras = {}): Promise<RunningProxy> {
  const log = createLogger(settings.logLevel, settings.logOutput);
  for (const warning of settings.warnings) log.warning(warning);
  const proxy = createProxy({
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
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    log,
    ...(extra.onExchange !== undefined ? { onExchange: extra.onExchange } : {}),
  });
  const address = await proxy.listen(settings.proxy.port, settings.proxy.host);
  let api: ControlApi | undefined;
  if (settings.http) {
    if (!isLoopback(settings.httpHost) && settings.httpToken === undefined) {
      log.warning(`the control API listens on ${settings.httpHost} without --http-token: anyone who can reach it can steer the proxy`);
    }
    try {
      api = await startControlApi(proxy, {
        host: settings.httpHost,
        port: settings.httpPort,
        ...(settings.httpToken !== undefined ? { token: settings.httpToken } : {}),
        log,
      });
    } catch (error) {
      await proxy.close();
      throw error;
    }
  }
  const behavior = proxy.getBehavior().behavior;
  if (extra.quiet !== true) io.stdout.write(
    `vaurien ${VERSION}: proxying ${formatHostPort(address)} -> ${formatHostPort(proxy.getBackend())} ` +
      `(protocol ${settings.protocol}, behavior ${behavior}, seed ${proxy.seed})` +
      (api !== undefined ? `, control API on http://${formatHostPort(api.address)}` : '') +
      '\n',
  );
  return {
    proxy,
    api,
    log,
    async stop(graceSeconds) {
      await api?.close();
      await proxy.close(graceSeconds);
      await log.close();
    },
  };
}

/** The `vaurien` command: runs until a signal, resolves with the exit status. */
export async function runProxy(settings: RunSettings, io: ProgramIo): Promise<number> {
  // The handlers go in before the banner is printed and stay until the end: a signal sent as
  // soon as the banner is read, or a second one during shutdown, must never meet the default
  // disposition (which kills the process at once, exit status lost).
  let running: RunningProxy | undefined;
  let signalled = false;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => {};
  const firstSignal = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!signalled) {
      signalled = true;
      resolveSignal(signal);
    } else {
      // A second signal does not wait for the grace period.
      void running?.proxy.close(0);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    running = await startFromSettings(settings, io);
    const signal = await firstSignal;
    running.log.info(`${signal}: no new connections; open exchanges have ${settings.grace}s to finish`);
    await running.stop(settings.grace);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

