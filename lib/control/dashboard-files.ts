// The dashboard's files (SPEC 15), served at /ui/ by the control API and `vaurien server` alike,
// from the package itself: ui/'s ES modules and CSS, and uPlot's build from the uplot dependency.
// Offline by construction (no CDN, no build step); only the listed files, each read once.
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardFile {
  readonly body: Buffer;
  readonly contentType: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page's own files, in ui/. */
const UI_FILES = [
  ...['index.html', 'style.css', 'favicon.svg', 'app.js', 'api.js', 'sources.js', 'sse.js', 'charts.js', 'format.js', 'fault-table.js', 'proxy-card.js', 'option-field.js'],
  // A control API's proxy; a server's proxies and their toxics.
  ...['control-proxy.js', 'behavior-form.js', 'server-proxy.js', 'toxic-table.js', 'toxic-form.js'],
];

/** `ui/` of the package: beside lib/ in the sources, beside dist/ in a build. */
function uiFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '../../ui'), resolve(here, '../../../ui')]) if (existsSync(join(candidate, 'index.html'))) return candidate;
  throw new Error(`the dashboard's files (ui/index.html) are missing beside ${here}`);
}

/** URL path under /ui/ → file on disk. */
function fileMap(): ReadonlyMap<string, string> {
  const ui = uiFolder();
  const require = createRequire(import.meta.url);
  const files = new Map<string, string>();
  for (const name of UI_FILES) {
    files.set(`/ui/${name === 'index.html' ? '' : name}`, join(ui, name));
  }
  files.set('/ui/vendor/uplot.js', require.resolve('uplot/dist/uPlot.esm.js'));
  files.set('/ui/vendor/uplot.css', require.resolve('uplot/dist/uPlot.min.css'));
  return files;
}

let files: ReadonlyMap<string, string> | undefined;
const cache = new Map<string, DashboardFile>();

/** The file at `path` (`/ui/`, `/ui/app.js`…), or undefined. */
export function dashboardFile(path: string): DashboardFile | undefined {
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  files ??= fileMap();
  const location = files.get(path);
  if (location === undefined) return undefined;
  const extension = /\.[a-z]+$/.exec(location)?.[0] ?? '';
  const file: DashboardFile = { body: readFileSync(location), contentType: TYPES[extension] ?? 'application/octet-stream' };
  cache.set(path, file);
  return file;
}

/** Headers every dashboard file is sent with: its own origin only, no framing, no sniffing. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** True for `/ui` and what is under `/ui/` (a query string aside). */
export function isDashboardPath(target: string): boolean {
  const path = target.split('?', 1)[0] as string;
  return path === '/ui' || path.startsWith('/ui/');
}

/**
 * Answers GET (or HEAD) of a dashboard file at `path`; `/ui` moves to `/ui/`, where the page's
 * relative links work. Says when it could not, for the server to answer in its own words.
 */
export function serveDashboardFile(response: ServerResponse, method: string, path: string, headers: Readonly<Record<string, string>> = {}): 'served' | 'not-found' | 'bad-method' {
  if (method !== 'GET' && method !== 'HEAD') return 'bad-method';
  if (path === '/ui') {
    response.writeHead(301, { ...headers, Location: '/ui/', 'Content-Length': 0 });
    response.end();
    return 'served';
  }
  const file = dashboardFile(path);
  if (file === undefined) return 'not-found';
  response.writeHead(200, { ...headers, ...DASHBOARD_HEADERS, 'Content-Type': file.contentType, 'Content-Length': file.body.length });
  response.end(file.body);
  return 'served';
}
