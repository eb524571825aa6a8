// @ts-check
// One proxy of a `vaurien server` on the page: where it listens and forwards, whether it is
// enabled (a button turns it off and on, as Toxiproxy's `enabled` does), its toxics (each can be
// removed) and a form that adds one. Every change is a plain Toxiproxy API request.
import { call } from './api.js';
import { el } from './format.js';
import { ProxyCard } from './proxy-card.js';
import { ToxicForm } from './toxic-form.js';
import { ToxicTable } from './toxic-table.js';

/**
 * @typedef {import('./option-field.js').BehaviorDescription} BehaviorDescription
 * @typedef {import('./proxy-card.js').Stats} Stats
 * @typedef {import('./toxic-table.js').ToxicState} ToxicState
 * @typedef {{ name: string, listen: string, upstream: string, enabled: boolean, protocol: string, toxics: ToxicState[], stats?: Stats }} ServerProxyState
 */

export class ServerProxyView {
  /**
   * @param {string} name
   * @param {BehaviorDescription[]} behaviors the toxic types
   * @param {() => void} refresh asks for the proxies' state again (after a change)
   */
  constructor(name, behaviors, refresh) {
    this.name = name;
    this.refresh = refresh;
    this.isEnabled = true;
    this.listen = el('span', { class: 'mono', 'data-field': 'listen' });
    this.upstream = el('span', { class: 'mono', 'data-field': 'upstream' });
    this.enabled = el('span', { class: 'state', 'data-field': 'enabled' });
    this.toggle = el('button', { type: 'button', class: 'small', 'data-action': 'toggle' }, ['Disable']);
    this.toggle.addEventListener('click', () => void this.setEnabled(!this.isEnabled));
    this.notice = el('p', { class: 'notice', role: 'status' });
    this.error = el('p', { class: 'error', hidden: '' });
    this.toxics = new ToxicTable(
      name,
      (message) => this.changed(message),
      (message) => this.failed(message),
    );
    this.form = new ToxicForm(name, behaviors, (message) => this.changed(message));
    this.card = new ProxyCard(name, {
      head: [this.listen, el('span', { class: 'label' }, ['→']), this.upstream, this.enabled, this.toggle],
      controls: [el('div', { class: 'controls toxics-block' }, [this.toxics.root, this.form.form, this.notice, this.error])],
    });
    this.root = this.card.root;
  }

  /** @param {{ name: string }} given a proxy as the server shows it */
  show(given) {
    const state = /** @type {ServerProxyState} */ (given);
    this.card.showProtocol(state.protocol);
    this.listen.textContent = state.listen;
    this.upstream.textContent = state.upstream;
    this.isEnabled = state.enabled;
    this.enabled.textContent = state.enabled ? 'enabled' : 'disabled';
    this.enabled.dataset['state'] = state.enabled ? 'on' : 'off';
    this.toggle.textContent = state.enabled ? 'Disable' : 'Enable';
    this.toxics.show(state.toxics);
  }

  tick() {
    this.toxics.tick();
  }

  /** Toxiproxy's way: `POST /proxies/{proxy}` with `enabled` (false closes its connections). @param {boolean} enabled */
  async setEnabled(enabled) {
    try {
      await call('POST', `../proxies/${encodeURIComponent(this.name)}`, { enabled });
      this.changed(enabled ? 'enabled: listening again' : 'disabled: its connections closed, it listens no more');
    } catch (error) {
      this.failed(error instanceof Error ? error.message : String(error));
    }
  }

  /** @param {string} message */
  changed(message) {
    this.error.hidden = true;
    this.notice.textContent = message;
    this.refresh();
  }

  /** @param {string} message */
  failed(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}
