// `GET /proxies` asked as a live stream (the dashboard's on a server): every proxy's fields,
// toxics, protocol and counters as one event, sent again only when something in it changed
// (lib/events/live-snapshots.ts). Toxiproxy clients never ask for it and see nothing of it.
import { liveSnapshots, type LiveSnapshots } from '../events/live-snapshots.js';
import { VERSION } from '../version.js';
import type { ProxyRegistry } from './proxy-registry.js';
import { TOXIPROXY_VERSION } from './routes.js';

/** The server as the dashboard shows it: its versions, and its proxies by name. */
export function serverState(registry: ProxyRegistry): Record<string, unknown> {
  const proxies = [...registry.all()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    version: VERSION,
    toxiproxy: TOXIPROXY_VERSION,
    proxies: proxies.map((proxy) => ({ ...proxy.json(), protocol: proxy.protocol, stats: proxy.stats() })),
  };
}

export function liveProxies(registry: ProxyRegistry): LiveSnapshots {
  return liveSnapshots(() => Promise.resolve(JSON.stringify(serverState(registry))));
}
