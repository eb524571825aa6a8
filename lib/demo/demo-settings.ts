// What `vaurien demo` runs: the proxy's flags as given, and its own HTTP backend, free local port
// and --protocol http unless --backend, --proxy, --protocol (http or tcp) say otherwise.
// Invariant: no flag is dropped silently; one the demo cannot honour is a UsageError naming it.
import type { RunSettings } from '../cli/settings.js';
import { UsageError } from '../cli/usage-error.js';
import type { HostPort } from '../proxy/address.js';

/** Where each flag the demo could supply itself was given (a flag, a config key), if it was. */
export interface DemoGiven {
  readonly proxy?: string;
  readonly backend?: string;
  readonly protocol?: string;
  readonly workers?: string;
}

export interface DemoPlan {
  /** What the demo's proxy runs. */
  readonly settings: RunSettings;
  /** The user's HTTP backend; undefined: the demo starts its own. */
  readonly backend: HostPort | undefined;
}

/** The protocols the demo's HTTP traffic can be framed with. */
const DEMO_PROTOCOLS: readonly string[] = ['http', 'tcp'];

export function planDemo(settings: RunSettings, given: DemoGiven): DemoPlan {
  if (given.workers !== undefined && settings.workers > 1) {
    throw new UsageError(`demo: ${given.workers} ${settings.workers}: the demo runs in one process (--workers is for the proxy)`);
  }
  if (settings.tls !== undefined || settings.backendTls !== undefined) {
    const flag = settings.tls !== undefined ? '--tls-cert' : '--backend-tls';
    throw new UsageError(`demo: ${flag}: the demo's client and backend speak plain HTTP; to try TLS, run vaurien itself in front of an HTTPS server`);
  }
  if (given.protocol !== undefined && !DEMO_PROTOCOLS.includes(settings.protocol)) {
    throw new UsageError(
      `demo: ${given.protocol} ${settings.protocol}: the demo sends HTTP requests, so it runs with --protocol http or tcp; ` +
        `to try ${settings.protocol}, run vaurien itself in front of a ${settings.protocol} server`,
    );
  }
  return {
    settings: {
      ...settings,
      workers: 1,
      protocol: given.protocol !== undefined ? settings.protocol : 'http',
      proxy: given.proxy !== undefined ? settings.proxy : { host: '127.0.0.1', port: 0 },
      // The demo's own proxy logs only real trouble; the table tells the story.
      logLevel: settings.logLevel === 'info' ? 'error' : settings.logLevel,
    },
    backend: given.backend !== undefined ? settings.backend : undefined,
  };
}
