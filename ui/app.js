// @ts-check
// The dashboard's start: asks the token when the API wants one, builds a card per proxy (the
// control API has one), then keeps it live: counters every second and settings every five
// (neither while the tab is hidden), and the fault log as the API streams it.
import { call, storedToken, storeToken, Unauthorized } from './api.js';
import { ProxyCard } from './proxy-card.js';
import { followEvents } from './sse.js';

/** @typedef {import('./proxy-card.js').ProxyState} ProxyState */
/** @typedef {import('./proxy-card.js').Stats} Stats */
/** @typedef {import('./behavior-form.js').BehaviorDescription} BehaviorDescription */

const STATS_EVERY_MS = 1000;
const STATE_EVERY_MS = 5000;

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = byId('status');
const proxies = byId('proxies');
const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'));
const forget = /** @type {HTMLButtonElement} */ (byId('forget-token'));

/** @type {Map<string, ProxyCard>} */
const cards = new Map();
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
        await call('GET', '../proxy');
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

/** What the page shows of the API: its proxies (one here) and the behaviors it knows. */
async function load() {
  const state = /** @type {ProxyState} */ (await call('GET', '../proxy'));
  const details = /** @type {{ behaviors: BehaviorDescription[] }} */ (await call('GET', '../behaviors?details=true'));
  return { states: [state], behaviors: details.behaviors };
}

async function start() {
  running?.abort();
  const stop = (running = new AbortController());
  /** @type {Awaited<ReturnType<typeof load>>} */
  let loaded;
  try {
    loaded = await load();
  } catch (failure) {
    if (!(failure instanceof Unauthorized)) throw failure;
    await askToken();
    return start();
  }
  forget.hidden = storedToken() === undefined;
  byId('version').textContent = `v${loaded.states[0]?.version ?? '?'}`;
  cards.clear();
  proxies.replaceChildren();
  const refreshState = async () => {
    const state = /** @type {ProxyState} */ (await call('GET', '../proxy'));
    cards.get(state.name)?.showState(state);
  };
  for (const state of loaded.states) {
    const card = new ProxyCard(state.name, loaded.behaviors, () => void refreshState().catch(onFailure));
    cards.set(state.name, card);
    proxies.append(card.root);
    card.showState(state);
  }
  const onFailure = (/** @type {unknown} */ failure) => {
    if (failure instanceof Unauthorized) {
      stop.abort();
      void askToken().then(start);
    } else setStatus('down', 'control API unreachable');
  };
  const pollStats = async () => {
    const stats = /** @type {Stats} */ (await call('GET', '../stats'));
    for (const card of cards.values()) card.showStats(stats);
    if (status.dataset['state'] === 'down') setStatus('live', 'live');
  };
  const every = (/** @type {() => Promise<void>} */ work, /** @type {number} */ ms) => {
    const timer = setInterval(() => {
      if (!document.hidden) void work().catch(onFailure);
    }, ms);
    stop.signal.addEventListener('abort', () => clearInterval(timer));
  };
  every(pollStats, STATS_EVERY_MS);
  every(refreshState, STATE_EVERY_MS);
  every(async () => cards.forEach((card) => card.tick()), 250);
  void pollStats().catch(onFailure);
  const first = cards.values().next().value;
  void followEvents(
    (data) => {
      const record = JSON.parse(data);
      (cards.get(record.proxy) ?? first)?.addFault(record);
    },
    (connected) => setStatus(connected ? 'live' : 'down', connected ? 'live' : 'reconnecting…'),
    stop.signal,
    () => onFailure(new Unauthorized('token')),
  );
}

forget.addEventListener('click', () => {
  storeToken(undefined);
  location.reload();
});

void start();
