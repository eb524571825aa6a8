// @ts-check
// One proxy on the page: its name, protocol, backend (which can be moved) and behavior mix (which
// can be changed, for a while), live rates drawn from its counters, and its fault log. The page
// holds a list of these: one for the control API's proxy; a server's proxies each get one.
import { call } from './api.js';
import { BehaviorForm } from './behavior-form.js';
import { RateChart } from './charts.js';
import { FaultTable } from './fault-table.js';
import { bytesPerSecond, duration, el, perSecond } from './format.js';

/**
 * @typedef {import('./behavior-form.js').BehaviorDescription} BehaviorDescription
 * @typedef {import('./behavior-form.js').OptionsByBehavior} OptionsByBehavior
 * @typedef {import('./fault-table.js').FaultRecord} FaultRecord
 * @typedef {{ name: string, protocol: string, version: string, backend: string, behavior: string, options: OptionsByBehavior, remaining?: number, restores?: { behavior: string }, stats?: Stats }} ProxyState
 * @typedef {{ protocol: string, connections: { open: number, total: number }, exchanges: Record<string, number>, bytes: { request: number, response: number }, faults: Record<string, number> }} Stats
 */

/** Per-second rates of the counters that moved between two snapshots. @param {Record<string, number>} now @param {Record<string, number>} before @param {number} seconds */
function rates(now, before, seconds) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const [key, value] of Object.entries(now)) out[key] = Math.max(0, (value - (before[key] ?? 0)) / seconds);
  return out;
}

export class ProxyCard {
  /**
   * @param {string} name
   * @param {BehaviorDescription[]} behaviors
   * @param {() => void} refresh asks for the proxy's state again (after a change)
   */
  constructor(name, behaviors, refresh) {
    this.name = name;
    this.refresh = refresh;
    /** @type {{ stats: Stats, at: number } | undefined} */
    this.last = undefined;
    /** @type {{ remaining: number, at: number, restores: string } | undefined} */
    this.timed = undefined;
    this.title = el('h2', {}, [name]);
    this.protocol = el('span', { class: 'badge', 'data-field': 'protocol' });
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
    const chart = (/** @type {string} */ kind) => el('div', { class: 'chart', 'data-chart': kind });
    const charts = { exchanges: chart('exchanges'), faults: chart('faults'), bytes: chart('bytes'), connections: chart('connections') };
    const table = el('tbody', { 'data-field': 'faults' });
    this.root = el('section', { class: 'proxy', 'data-proxy': name }, [
      el('div', { class: 'proxy-head' }, [this.title, this.protocol, el('span', { class: 'label' }, ['behavior']), this.behavior, this.countdown]),
      el('div', { class: 'controls' }, [backendForm, this.form.form, this.notice]),
      el('div', { class: 'charts' }, Object.values(charts)),
      el('h3', {}, ['Fault log']),
      el('div', { class: 'table-wrap' }, [
        el('table', { class: 'faults' }, [
          el('thead', {}, [el('tr', {}, ['time', 'conn.exch', 'client', 'behavior', 'request', 'outcome', 'took'].map((label) => el('th', {}, [label])))]),
          table,
        ]),
      ]),
    ]);
    this.charts = {
      exchanges: new RateChart(charts.exchanges, 'Exchanges per behavior', perSecond),
      faults: new RateChart(charts.faults, 'Faults per behavior', perSecond),
      bytes: new RateChart(charts.bytes, 'Bytes', bytesPerSecond),
      connections: new RateChart(charts.connections, 'Connections', (value) => value.toFixed(0)),
    };
    this.table = new FaultTable(table);
  }

  /** @param {ProxyState} state */
  showState(state) {
    this.protocol.textContent = state.protocol;
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

  /** @param {Stats} stats */
  showStats(stats) {
    const at = performance.now();
    const time = Date.now() / 1000;
    const last = this.last;
    this.last = { stats, at };
    if (last === undefined) return;
    const seconds = (at - last.at) / 1000;
    if (seconds <= 0) return;
    this.charts.exchanges.push(time, rates(stats.exchanges, last.stats.exchanges, seconds));
    this.charts.faults.push(time, rates(stats.faults, last.stats.faults, seconds));
    this.charts.bytes.push(time, rates(stats.bytes, last.stats.bytes, seconds));
    this.charts.connections.push(time, { open: stats.connections.open, new: Math.max(0, (stats.connections.total - last.stats.connections.total) / seconds) });
  }

  /** @param {FaultRecord} record */
  addFault(record) {
    this.table.add(record);
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
