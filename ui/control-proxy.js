// @ts-check
// The proxy of a control API (`vaurien --http`) on the page: its behavior mix (which can be
// changed, for a while, with the time a timed one has left) and its backend (which can be moved).
import { call } from './api.js';
import { BehaviorForm } from './behavior-form.js';
import { duration, el } from './format.js';
import { ProxyCard } from './proxy-card.js';

/**
 * @typedef {import('./behavior-form.js').BehaviorDescription} BehaviorDescription
 * @typedef {import('./behavior-form.js').OptionsByBehavior} OptionsByBehavior
 * @typedef {import('./proxy-card.js').Stats} Stats
 * @typedef {{ name: string, protocol: string, version: string, backend: string, behavior: string, options: OptionsByBehavior, remaining?: number, restores?: { behavior: string }, stats?: Stats }} ControlState
 */

export class ControlProxyView {
  /**
   * @param {string} name
   * @param {BehaviorDescription[]} behaviors
   * @param {() => void} refresh asks for the proxy's state again (after a change)
   */
  constructor(name, behaviors, refresh) {
    this.name = name;
    this.refresh = refresh;
    /** @type {{ remaining: number, at: number, restores: string } | undefined} */
    this.timed = undefined;
    this.behavior = el('span', { class: 'mono', 'data-field': 'behavior' });
    this.countdown = el('span', { class: 'countdown', 'data-field': 'remaining' });
    this.backend = el('input', { name: 'backend', placeholder: 'host:port', required: '', 'aria-label': 'backend' });
    this.backendError = el('p', { class: 'error', hidden: '' });
    this.notice = el('p', { class: 'notice', role: 'status' });
    const backendForm = el('form', { class: 'backend-form' }, [el('label', {}, ['Backend ', this.backend]), el('button', { type: 'submit' }, ['Move']), this.backendError]);
    backendForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.moveBackend();
    });
    this.form = new BehaviorForm(behaviors, (message) => this.changed(message));
    this.card = new ProxyCard(name, {
      head: [el('span', { class: 'label' }, ['behavior']), this.behavior, this.countdown],
      controls: [el('div', { class: 'controls' }, [backendForm, this.form.form, this.notice])],
    });
    this.root = this.card.root;
  }

  /** @param {{ name: string }} given a state of `GET /proxy` */
  show(given) {
    const state = /** @type {ControlState} */ (given);
    this.card.showProtocol(state.protocol);
    this.behavior.textContent = state.behavior;
    if (document.activeElement !== this.backend) this.backend.value = state.backend;
    this.timed = state.remaining === undefined ? undefined : { remaining: state.remaining, at: performance.now(), restores: state.restores?.behavior ?? '?' };
    this.tick();
    this.form.show(state.behavior, state.options);
  }

  /** The countdown of a timed setting, between two reads of the state. */
  tick() {
    if (this.timed === undefined) return void (this.countdown.textContent = '');
    const left = Math.max(0, this.timed.remaining - (performance.now() - this.timed.at) / 1000);
    this.countdown.textContent = `for ${duration(left)}, then ${this.timed.restores}`;
  }

  async moveBackend() {
    try {
      await call('PUT', '../backend', { backend: this.backend.value.trim() });
      this.backendError.hidden = true;
      this.backend.blur();
      this.changed(`backend moved to ${this.backend.value.trim()}`);
    } catch (error) {
      this.backendError.textContent = error instanceof Error ? error.message : String(error);
      this.backendError.hidden = false;
    }
  }

  /** @param {string} message */
  changed(message) {
    this.notice.textContent = message;
    this.refresh();
  }
}
