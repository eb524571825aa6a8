// @ts-check
// Live rate charts (uPlot): one line per key (a behavior, a direction), a new line added when a
// key first appears, the last WINDOW seconds kept. Each chart's container carries the number of
// points drawn (`data-points`) and its lines (`data-series`), for whoever checks the page.
import uPlot from './vendor/uplot.js';

const WINDOW = 120;
const PALETTE = ['#7a3cff', '#e4572e', '#17bebb', '#ffc914', '#2e86ab', '#76b041', '#d7263d', '#8d6a9f', '#f49d37', '#3f88c5'];
const FIXED = /** @type {Record<string, string>} */ ({ dummy: '#9aa0a6', request: '#2e86ab', response: '#e4572e', open: '#7a3cff', new: '#17bebb' });

/** A stable colour per key: the same behavior has the same colour on every chart. @param {string} key */
function colourOf(key) {
  const fixed = FIXED[key];
  if (fixed !== undefined) return fixed;
  let hash = 0;
  for (const character of key) hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  return /** @type {string} */ (PALETTE[hash % PALETTE.length]);
}

export class RateChart {
  /**
   * @param {HTMLElement} container
   * @param {string} title
   * @param {(value: number) => string} format
   */
  constructor(container, title, format) {
    this.container = container;
    /** @type {string[]} */
    this.keys = [];
    /** @type {number[]} */
    this.times = [];
    /** @type {Array<Array<number | null>>} */
    this.values = [];
    const width = Math.max(240, container.clientWidth);
    this.plot = new uPlot(
      {
        title,
        width,
        height: 160,
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{ stroke: '#9aa0a6', grid: { stroke: '#2a2d34' } }, { stroke: '#9aa0a6', grid: { stroke: '#2a2d34' }, size: 70, values: (_self, ticks) => ticks.map(format) }],
        series: [{}],
      },
      [[]],
      container,
    );
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(240, container.clientWidth), height: 160 })).observe(container);
  }

  /** One point per key at `time` (seconds); keys not given are 0. @param {number} time @param {Record<string, number>} point */
  push(time, point) {
    for (const key of Object.keys(point)) {
      if (this.keys.includes(key)) continue;
      this.keys.push(key);
      this.values.push(this.times.map(() => 0));
      this.plot.addSeries({ label: key, stroke: colourOf(key), width: 2, points: { show: false } }, this.keys.length);
    }
    this.times.push(time);
    this.keys.forEach((key, at) => this.values[at]?.push(point[key] ?? 0));
    if (this.times.length > WINDOW) {
      this.times.shift();
      for (const series of this.values) series.shift();
    }
    this.plot.setData([this.times, ...this.values]);
    this.container.dataset['points'] = String(this.times.length);
    this.container.dataset['series'] = this.keys.join(',');
  }
}
