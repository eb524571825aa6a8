// @ts-check
// The dashboard's start: asks the token when the API wants one, finds which API served it
// (sources.js), shows a card per proxy and keeps them live from two streams (the proxies' states
// and counters as they change; `GET /events`: the fault log). Nothing is polled: an idle proxy sends nothing.
import { call, storedToken, storeToken, Unauthorized } from './api.js';
import { openSource } from './sources.js';
import { followEvents } from './sse.js';

/** @typedef {import('./sources.js').Source} Source */
/** @typedef {import('./sources.js').ProxyView} ProxyView */
/** @typedef {import('./sources.js').ProxyState} ProxyState */
/** @typedef {import('./proxy-card.js').Stats} Stats */
/** @typedef {import('./proxy-card.js').FaultRecord} FaultRecord */

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = byId('status');
const proxies = byId('proxies');
const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'));
const forget = /** @type {HTMLButtonElement} */ (byId('forget-token'));

/** @type {Map<string, ProxyView>} */
const views = new Map();
/** The last counters each proxy sent: the charts draw a point from them every second. @type {Map<string, Stats>} */
const latest = new Map();
/** @type {AbortController | undefined} */
let running;

/** @param {string} state @param {string} text */
function setStatus(state, text) {
  status.dataset['state'] = state;
  status.textContent = text;
}

/** Shows the token dialog; resolves once a token the API accepts was given. */
function askToken() {
  setStatus('locked', 'token needed');
  const input = /** @type {HTMLInputElement} */ (byId('token-input'));
  const error = byId('token-error');
  error.hidden = storedToken() === undefined;
  storeToken(undefined);
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    /** @param {SubmitEvent} event */
    const submit = async (event) => {
      event.preventDefault();
      storeToken(input.value);
      try {
        // Both APIs answer it.
        await call('GET', '../behaviors');
      } catch (failure) {
        if (!(failure instanceof Unauthorized)) throw failure;
        error.hidden = false;
        storeToken(undefined);
        return;
      }
      byId('token-form').removeEventListener('submit', submit);
      input.value = '';
      dialog.close();
      resolve(undefined);
    };
    byId('token-form').addEventListener('submit', submit);
  });
}

/**
 * Shows `states`: a card for each proxy, in their order; a proxy no longer listed loses its card
 * (a server's proxies come and go).
 * @param {Source} source
 * @param {ProxyState[]} states
 * @param {() => void} refresh
 */
function show(source, states, refresh) {
  const names = new Set(states.map((state) => state.name));
  for (const [name, view] of views) {
    if (names.has(name)) continue;
    view.root.remove();
    views.delete(name);
    latest.delete(name);
  }
  for (const state of states) {
    let view = views.get(state.name);
    if (view === undefined) {
      view = source.viewFor(state.name, refresh);
      views.set(state.name, view);
    }
    // In the API's order; appending a card already in place does not move it.
    if (proxies.lastElementChild !== view.root) proxies.append(view.root);
    view.show(state);
    if (state.stats !== undefined) latest.set(state.name, state.stats);
  }
}

async function start() {
  running?.abort();
  const stop = (running = new AbortController());
  /** @type {Source} */
  let source;
  try {
    source = await openSource();
  } catch (failure) {
    if (!(failure instanceof Unauthorized)) throw failure;
    await askToken();
    return start();
  }
  forget.hidden = storedToken() === undefined;
  byId('version').textContent = source.version;
  views.clear();
  latest.clear();
  proxies.replaceChildren();
  const onFailure = (/** @type {unknown} */ failure) => {
    if (failure instanceof Unauthorized) {
      stop.abort();
      void askToken().then(start);
    } else setStatus('down', 'API unreachable');
  };
  // After a change made here: the new state at once, not at the next check.
  const refresh = () => void source.fetchStates().then((states) => show(source, states, refresh), onFailure);
  show(source, source.states, refresh);
  const ticking = setInterval(() => {
    for (const [name, view] of views) {
      const stats = latest.get(name);
      if (stats !== undefined) view.card.showStats(stats);
      view.tick();
    }
  }, 1000);
  stop.signal.addEventListener('abort', () => clearInterval(ticking));
  const unauthorized = () => onFailure(new Unauthorized('token'));
  void followEvents(
    source.livePath,
    (data) => {
      const live = source.parseLive(data);
      if (live.version !== undefined) byId('version').textContent = live.version;
      show(source, live.states, refresh);
    },
    () => {},
    stop.signal,
    unauthorized,
  );
  void followEvents(
    '../events',
    (data) => {
      const record = /** @type {FaultRecord} */ (JSON.parse(data));
      // A control API's one proxy takes every record, whatever name it gives itself.
      (views.get(record.proxy) ?? (source.oneProxy ? views.values().next().value : undefined))?.card.addFault(record);
    },
    (connected) => setStatus(connected ? 'live' : 'down', connected ? 'live' : 'reconnecting…'),
    stop.signal,
    unauthorized,
  );
}

forget.addEventListener('click', () => {
  storeToken(undefined);
  location.reload();
});

void start();
