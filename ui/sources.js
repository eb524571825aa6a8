// @ts-check
// The dashboard's data layer: which API served the page — a control API (`vaurien --http`, one
// proxy) or a `vaurien server` (Toxiproxy's API, many) — its proxies' states, the live stream of
// them and the view that shows and changes one. The rest of the page is the same for both.
import { call, exchange } from './api.js';
import { ControlProxyView } from './control-proxy.js';
import { ServerProxyView } from './server-proxy.js';

/**
 * @typedef {import('./option-field.js').BehaviorDescription} BehaviorDescription
 * @typedef {import('./proxy-card.js').Stats} Stats
 * @typedef {import('./proxy-card.js').FaultRecord} FaultRecord
 * @typedef {{ name: string, stats?: Stats }} ProxyState a proxy's state, as its view reads it
 * @typedef {{ readonly name: string, readonly root: HTMLElement, readonly card: import('./proxy-card.js').ProxyCard, show(state: ProxyState): void, tick(): void }} ProxyView
 * @typedef {{ version: string | undefined, states: ProxyState[] }} LiveState
 * @typedef {object} Source
 * @property {string} version what the header says of the API
 * @property {boolean} oneProxy every fault record is its one proxy's (a control API)
 * @property {ProxyState[]} states the proxies when the page opened
 * @property {string} livePath the stream of their states and counters (`Accept: text/event-stream`)
 * @property {(data: string) => LiveState} parseLive one event of it
 * @property {() => Promise<ProxyState[]>} fetchStates the states now (after a change made here)
 * @property {(name: string, refresh: () => void) => ProxyView} viewFor
 */

/**
 * Asks `GET /behaviors` (both APIs list the behaviors, a server as its toxic types): a server
 * marks every answer with Toxiproxy's `X-Toxiproxy-Request-Id`, a control API does not.
 * @returns {Promise<Source>}
 */
export async function openSource() {
  const { json, headers } = await exchange('GET', '../behaviors?details=true');
  const { behaviors } = /** @type {{ behaviors: BehaviorDescription[] }} */ (json);
  return headers.has('X-Toxiproxy-Request-Id') ? serverSource(behaviors) : controlSource(behaviors);
}

/**
 * The control API's one proxy: `GET /proxy` (a state), streamed as it changes.
 * @param {BehaviorDescription[]} behaviors
 * @returns {Promise<Source>}
 */
async function controlSource(behaviors) {
  const state = /** @type {ProxyState & { version: string }} */ (await call('GET', '../proxy'));
  return {
    version: `v${state.version}`,
    oneProxy: true,
    states: [state],
    livePath: '../proxy',
    parseLive: (data) => ({ version: undefined, states: [/** @type {ProxyState} */ (JSON.parse(data))] }),
    fetchStates: async () => [/** @type {ProxyState} */ (await call('GET', '../proxy'))],
    viewFor: (name, refresh) => new ControlProxyView(name, behaviors, refresh),
  };
}

/**
 * A server's proxies: `GET /proxies` (Toxiproxy's map by name; `protocol` only when not tcp), and
 * the same asked as events: `{ version, toxiproxy, proxies: [...] }`, counters included.
 * @param {BehaviorDescription[]} behaviors
 * @returns {Promise<Source>}
 */
async function serverSource(behaviors) {
  const fromListing = (/** @type {Record<string, ProxyState & { protocol?: string }>} */ proxies) =>
    Object.values(proxies).map((proxy) => ({ ...proxy, protocol: proxy.protocol ?? 'tcp' }));
  return {
    version: 'vaurien server',
    oneProxy: false,
    states: fromListing(/** @type {Record<string, ProxyState & { protocol?: string }>} */ (await call('GET', '../proxies'))),
    livePath: '../proxies',
    parseLive: (data) => {
      const live = /** @type {{ version: string, toxiproxy: string, proxies: ProxyState[] }} */ (JSON.parse(data));
      return { version: `v${live.version} · Toxiproxy API ${live.toxiproxy}`, states: live.proxies };
    },
    fetchStates: async () => fromListing(/** @type {Record<string, ProxyState & { protocol?: string }>} */ (await call('GET', '../proxies'))),
    viewFor: (name, refresh) => new ServerProxyView(name, behaviors, refresh),
  };
}
