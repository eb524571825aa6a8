// @ts-check
// The live fault log: the newest records first, the last MAX_ROWS kept. A server's records name
// their toxic beside the behavior; a stream toxic's record (exchange 0) is the connection's.
import { clock, el } from './format.js';

const MAX_ROWS = 200;

/**
 * @typedef {object} FaultRecord
 * @property {string} time
 * @property {string} proxy
 * @property {number} connection
 * @property {string} client
 * @property {number} exchange
 * @property {string} behavior
 * @property {string} [toxic]
 * @property {string} request
 * @property {string} outcome
 * @property {number} durationMs
 */

export class FaultTable {
  /** @param {HTMLTableSectionElement} body */
  constructor(body) {
    this.body = body;
  }

  /** @param {FaultRecord} record */
  add(record) {
    const kind = record.outcome.split(/[ ,]/)[0] ?? '';
    const row = el('tr', { 'data-outcome': kind }, [
      el('td', { class: 'mono' }, [clock(record.time)]),
      el('td', { class: 'mono' }, [record.exchange === 0 ? `#${record.connection} stream` : `#${record.connection}.${record.exchange}`]),
      el('td', { class: 'mono' }, [record.client]),
      el('td', {}, record.toxic === undefined ? [record.behavior] : [record.behavior, el('span', { class: 'muted' }, [` (${record.toxic})`])]),
      el('td', { class: 'mono' }, [record.request]),
      el('td', { class: 'outcome' }, [record.outcome]),
      el('td', { class: 'num' }, [`${record.durationMs} ms`]),
    ]);
    this.body.prepend(row);
    while (this.body.rows.length > MAX_ROWS) this.body.lastElementChild?.remove();
  }
}
