// @ts-check
// A server proxy's toxics, as Toxiproxy lists them (upstream first, each in the order added), each
// with a button that removes it and, for a toxic with a duration, the time it has left. Rows are
// kept while their toxic is unchanged, so a live update never swaps a button under the pointer.
import { call } from './api.js';
import { duration, el } from './format.js';

/**
 * @typedef {{ name: string, type: string, stream: string, toxicity: number, attributes: Record<string, unknown>, duration?: number, remaining?: number }} ToxicState
 */

/** `latency=100 jitter=10`. @param {Record<string, unknown>} attributes */
function describeAttributes(attributes) {
  return Object.entries(attributes)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
}

export class ToxicTable {
  /**
   * @param {string} proxy its name (in the API's paths)
   * @param {(message: string) => void} onChanged
   * @param {(message: string) => void} onError
   */
  constructor(proxy, onChanged, onError) {
    this.proxy = proxy;
    this.onChanged = onChanged;
    this.onError = onError;
    /** @type {Map<string, { row: HTMLTableRowElement, key: string, left: HTMLTableCellElement, remaining?: { seconds: number, at: number } }>} */
    this.rows = new Map();
    this.body = el('tbody', { 'data-field': 'toxics' });
    this.none = el('p', { class: 'muted', 'data-field': 'no-toxics' }, ['No toxics: the traffic passes untouched.']);
    this.root = el('div', { class: 'toxics-wrap' }, [
      el('table', { class: 'toxics' }, [el('thead', {}, [el('tr', {}, ['toxic', 'type', 'stream', 'toxicity', 'attributes', 'left', ''].map((label) => el('th', {}, [label])))]), this.body]),
      this.none,
    ]);
  }

  /** @param {ToxicState[]} toxics */
  show(toxics) {
    const seen = new Set();
    for (const toxic of toxics) {
      seen.add(toxic.name);
      const { remaining, ...rest } = toxic;
      const key = JSON.stringify(rest);
      let entry = this.rows.get(toxic.name);
      if (entry === undefined || entry.key !== key) {
        entry?.row.remove();
        entry = this.row(toxic, key);
        this.rows.set(toxic.name, entry);
      }
      if (remaining === undefined) delete entry.remaining;
      else entry.remaining = { seconds: remaining, at: performance.now() };
      // In the API's order; appending a row already in place does not move it.
      if (this.body.lastElementChild !== entry.row) this.body.append(entry.row);
    }
    for (const [name, entry] of this.rows) {
      if (seen.has(name)) continue;
      entry.row.remove();
      this.rows.delete(name);
    }
    this.none.hidden = toxics.length > 0;
    this.tick();
  }

  /** The countdowns of toxics with a duration, between two reads of the state. */
  tick() {
    for (const entry of this.rows.values()) {
      const { remaining } = entry;
      entry.left.textContent = remaining === undefined ? '' : duration(Math.max(0, remaining.seconds - (performance.now() - remaining.at) / 1000));
    }
  }

  /** @param {ToxicState} toxic @param {string} key */
  row(toxic, key) {
    const remove = el('button', { type: 'button', class: 'small', 'data-action': 'remove', title: `Remove ${toxic.name}` }, ['Remove']);
    remove.addEventListener('click', () => void this.remove(toxic.name));
    const left = el('td', { class: 'countdown', 'data-field': 'left' });
    const row = el('tr', { 'data-toxic': toxic.name }, [
      el('td', { class: 'mono' }, [toxic.name]),
      el('td', {}, [toxic.type]),
      el('td', {}, [toxic.stream]),
      el('td', { class: 'num' }, [String(toxic.toxicity)]),
      el('td', { class: 'mono' }, [describeAttributes(toxic.attributes)]),
      left,
      el('td', {}, [remove]),
    ]);
    return { row, key, left };
  }

  /** @param {string} name */
  async remove(name) {
    try {
      await call('DELETE', `../proxies/${encodeURIComponent(this.proxy)}/toxics/${encodeURIComponent(name)}`);
      this.onChanged(`toxic ${name} removed`);
    } catch (error) {
      this.onError(error instanceof Error ? error.message : String(error));
    }
  }
}
