// @ts-check
// One proxy on the page, whichever API serves it: its name and protocol, the controls its view
// puts in, live rates drawn from its counters, and its fault log. A control API's proxy and each
// of a server's proxies get one (control-proxy.js, server-proxy.js fill it).
import { RateChart } from './charts.js';
import { FaultTable } from './fault-table.js';
import { bytesPerSecond, el, perSecond } from './format.js';

/**
 * @typedef {import('./fault-table.js').FaultRecord} FaultRecord
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
   * @param {{ head: Array<Node | string>, controls: Node[] }} parts what the view shows beside the name, and its controls
   */
  constructor(name, parts) {
    this.name = name;
    /** @type {{ stats: Stats, at: number } | undefined} */
    this.last = undefined;
    this.protocol = el('span', { class: 'badge', 'data-field': 'protocol' });
    const chart = (/** @type {string} */ kind) => el('div', { class: 'chart', 'data-chart': kind });
    const charts = { exchanges: chart('exchanges'), faults: chart('faults'), bytes: chart('bytes'), connections: chart('connections') };
    const table = el('tbody', { 'data-field': 'faults' });
    this.root = el('section', { class: 'proxy', 'data-proxy': name }, [
      el('div', { class: 'proxy-head' }, [el('h2', {}, [name]), this.protocol, ...parts.head]),
      ...parts.controls,
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
      // Ticks fall between whole numbers when few connections are open: 0.5 must not read "1".
      connections: new RateChart(charts.connections, 'Connections', (value) => (Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1))),
    };
    this.table = new FaultTable(table);
  }

  /** @param {string} protocol */
  showProtocol(protocol) {
    this.protocol.textContent = protocol;
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
}
