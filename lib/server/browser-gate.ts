// Which browser requests a `vaurien server` serves: as Toxiproxy, none with a `Mozilla/` agent,
// but the dashboard's own. Those carry X-Vaurien-Dashboard (another site's page needs a preflight
// this server never grants) and must name this server in Host and Origin (DNS rebinding).
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../control/api-errors.js';
import { createOriginPolicy, type OriginPolicy } from '../control/origin-policy.js';
import { ToxiproxyError } from './toxiproxy-error.js';

/** The header the dashboard's requests carry (ui/api.js). */
export const DASHBOARD_HEADER = 'x-vaurien-dashboard';

export class BrowserGate {
  private policy: OriginPolicy | undefined;

  /**
   * @param listenHost the host the server was asked to listen on (`--host`)
   * @param boundAddress where it listens, read at the first request (`127.0.0.1`, `::`)
   */
  constructor(
    private readonly listenHost: string,
    private readonly boundAddress: () => string,
  ) {}

  /**
   * A request that says it is the dashboard's must come from this server's own pages (throws 403).
   * Any other is left to Toxiproxy's rules: a browser without the header gets its very 403.
   */
  checkPage(request: IncomingMessage): void {
    if (!fromDashboard(request)) return;
    this.policy ??= createOriginPolicy(this.listenHost, this.boundAddress(), []);
    try {
      this.policy.check(request);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The control API's words for Origin name its --http-cors; this server has no such flag.
      const origin = error.errors[0]?.name === 'Origin' ? `requests from web pages of ${String(request.headers.origin).slice(0, 100)} are refused: only the dashboard this server serves may call it` : undefined;
      throw new ToxiproxyError(origin ?? error.message, error.status);
    }
  }

  /** Toxiproxy's refusal of browsers, but for the dashboard's own requests. */
  refusesApi(request: IncomingMessage): boolean {
    return isBrowser(request) && !fromDashboard(request);
  }
}

function isBrowser(request: IncomingMessage): boolean {
  return (request.headers['user-agent'] ?? '').startsWith('Mozilla/');
}

function fromDashboard(request: IncomingMessage): boolean {
  return request.headers[DASHBOARD_HEADER] !== undefined;
}
