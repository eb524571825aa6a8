// @ts-check
// Numbers and times as the dashboard shows them: short, with their unit.

/** @param {number} value per second */
export function perSecond(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} M/s`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)} k/s`;
  if (value >= 100) return `${value.toFixed(0)}/s`;
  return `${value.toFixed(value >= 10 ? 0 : 1)}/s`;
}

/** @param {number} value bytes per second */
export function bytesPerSecond(value) {
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB/s`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB/s`;
  return `${value.toFixed(0)} B/s`;
}

/** `12:03:04.512` of an ISO time. @param {string} iso */
export function clock(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** Seconds as `7.3 s`, `2 min 5 s`. @param {number} seconds */
export function duration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/**
 * An element with text and attributes: the page builds its DOM with this, never with innerHTML,
 * so nothing a proxy reports (a request summary, a behavior's name) is ever read as markup.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attributes]
 * @param {Array<Node | string>} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
