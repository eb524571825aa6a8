// A Toxiproxy-compatible server in this process: the REST API on host:port (port 0: any free
// port) and the proxies it manages, each a VaurienProxy. `vaurien server` runs this; tests
// can too. Proxies given at start (a config file, or `proxies`) are up when it resolves.
import type { Server } from 'node:http';
import { UsageError } from '../cli/usage-error.js';
import { faultEvents } from '../events/fault-events.js';
import type { FaultFeed } from '../faults/fault-feed.js';
import { openFaultLog, type FaultLogFile } from '../faults/fault-log-file.js';
import type { FaultListener } from '../faults/fault-record.js';
import { silentLogger, type Logger } from '../log.js';
import type { HostPort } from '../proxy/address.js';
import { randomSeed } from '../rng.js';
import { readServerConfig } from './config-file.js';
import { createHttpServer } from './http-server.js';
import { liveProxies } from './live-proxies.js';
import { ProxyRegistry } from './proxy-registry.js';
import { createRoutes } from './routes.js';
import { ServerFaults } from './server-faults.js';
import { ToxiproxyError } from './toxiproxy-error.js';

export interface ServerOptions {
  /** Where the API listens; default `localhost`. */
  readonly host?: string;
  /** Default 8474, Toxiproxy's; 0 picks a free port. */
  readonly port?: number;
  /** Seeds every draw (toxicity, jitter, slicer sizes); random (and readable on `seed`) when absent. */
  readonly seed?: number;
  /** A Toxiproxy JSON config file: an array of proxies, each may carry `toxics`. */
  readonly config?: string;
  /** The same, given as values. */
  readonly proxies?: readonly unknown[];
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly log?: Logger;
  /**
   * The fault log (SPEC 13) of every proxy: a file to append JSON lines to (`-`: stdout), or a
   * function given each record. Records name the proxy (`proxy`) and the toxic (`toxic`).
   */
  readonly faultLog?: string | FaultListener;
  /** Records every exchange, dummy ones too (`--fault-log-all`). */
  readonly faultLogAll?: boolean;
}

export interface ToxiproxyServer {
  /** Where the API listens (the real port when 0 was asked). */
  readonly address: HostPort;
  /** `http://host:port`, for a Toxiproxy client. */
  readonly url: string;
  readonly seed: number;
  readonly registry: ProxyRegistry;
  /** The fault records of every proxy, for whoever subscribes (`GET /events` does, while someone listens). */
  readonly faults: FaultFeed;
  /** Stops the API and every proxy (their connections close). */
  close(): Promise<void>;
}

/** @example const server = await createServer({ port: 0 }); const toxiproxy = new Toxiproxy(server.url); */
export async function createServer(options: ServerOptions = {}): Promise<ToxiproxyServer> {
  const log = options.log ?? silentLogger;
  const seed = options.seed ?? randomSeed();
  const declared = [...(options.config !== undefined ? (readServerConfig(options.config) as unknown[]) : []), ...(options.proxies ?? [])];
  const faults = new ServerFaults(options.faultLogAll ?? false);
  const faultLog = openServerFaultLog(faults, options.faultLog);
  const registry = new ProxyRegistry({ serverSeed: seed, log, faults });
  const closeAll = async (): Promise<void> => {
    await registry.close();
    await faultLog?.close();
  };
  if (declared.length > 0) {
    const where = options.config !== undefined ? `--config ${options.config}` : 'proxies';
    const populated = await registry.populate(declared).catch(async (error: unknown) => {
      await closeAll();
      throw error instanceof ToxiproxyError ? new UsageError(`${where}: ${error.message}`) : error;
    });
    if (populated.error !== undefined) {
      await closeAll();
      throw new UsageError(`${where}: ${populated.error.message}`);
    }
  }
  const host = options.host ?? 'localhost';
  const events = faultEvents(faults.feed, undefined);
  const live = liveProxies(registry);
  const http = createHttpServer({ routes: createRoutes(registry, { events, live }), token: options.token, log, host });
  const port = options.port ?? 8474;
  try {
    await listen(http, host, port);
  } catch (error) {
    await closeAll();
    throw error;
  }
  const bound = http.address();
  const address: HostPort = bound !== null && typeof bound === 'object' ? { host: bound.address, port: bound.port } : { host, port };
  const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    address,
    url: `http://${shown}:${address.port}`,
    seed,
    registry,
    faults: faults.feed,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      events.close();
      live.close();
      http.closeIdleConnections();
      const force = setTimeout(() => http.closeAllConnections(), 1000);
      await closeAll();
      await closed;
      clearTimeout(force);
    },
  };
}

/** Opens the fault log now (a path that cannot be opened is a start-up error) and feeds it every record. */
function openServerFaultLog(faults: ServerFaults, faultLog: string | FaultListener | undefined): FaultLogFile | undefined {
  if (faultLog === undefined) return undefined;
  if (typeof faultLog === 'function') {
    faults.feed.subscribe(faultLog);
    return undefined;
  }
  const file = openFaultLog(faultLog);
  faults.feed.subscribe(file.listener);
  return file;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `--host/--port ${host.includes(':') ? `[${host}]` : host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new UsageError(`${where}: address already in use`));
      else if (error.code === 'EACCES') reject(new UsageError(`${where}: permission denied`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new UsageError(`${where}: no such local address`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
