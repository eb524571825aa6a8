// @ts-check
// The dashboard's start: asks the token when the API wants one, builds a card per proxy, and keeps
// it live from two streams (`GET /proxy` as events: state and counters as they change; `GET
// /events`: the fault log). Nothing is polled: an idle proxy sends nothing.
import { call, storedToken, storeToken, Unauthorized } from './api.js';
import { ProxyCard } from './proxy-card.js';
import { followEvents } from './sse.js';

/** @typedef {import('./proxy-card.js').ProxyState} ProxyState */
/** @typedef {import('./proxy-card.js').Stats} Stats */
/** @typedef {import('./behavior-form.js').BehaviorDescription} BehaviorDescription */

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const status = byId('status');
const proxies = byId('proxies');
const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'));
const forget = /** @type {HTMLButtonElement} */ (byId('forget-token'));

/** @type {Map<string, ProxyCard>} */
const cards = new Map();
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

/** @param {ProxyState} state */
function show(state) {
  cards.get(state.name)?.showState(state);
  if (state.stats !== undefined) latest.set(state.name, state.stats);
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
  const onFailure = (/** @type {unknown} */ failure) => {
    if (failure instanceof Unauthorized) {
      stop.abort();
      void askToken().then(start);
    } else setStatus('down', 'control API unreachable');
  };
  // After a change made here: the new state at once, not at the next check.
  const refresh = () => void call('GET', '../proxy').then((state) => show(/** @type {ProxyState} */ (state)), onFailure);
  for (const state of loaded.states) {
    const card = new ProxyCard(state.name, loaded.behaviors, refresh);
    cards.set(state.name, card);
    proxies.append(card.root);
    card.showState(state);
  }
  const ticking = setInterval(() => {
    for (const [name, card] of cards) {
      const stats = latest.get(name);
      if (stats !== undefined) card.showStats(stats);
      card.tick();
    }
  }, 1000);
  stop.signal.addEventListener('abort', () => clearInterval(ticking));
  const first = cards.values().next().value;
  const unauthorized = () => onFailure(new Unauthorized('token'));
  void followEvents('../proxy', (data) => show(JSON.parse(data)), () => {}, stop.signal, unauthorized);
  void followEvents(
    '../events',
    (data) => {
      const record = JSON.parse(data);
      (cards.get(record.proxy) ?? first)?.addFault(record);
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
