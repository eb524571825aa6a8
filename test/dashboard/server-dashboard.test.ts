// The dashboard on a `vaurien server` (SPEC 15) in headless chromium: proxies, toxics, charts and
// fault lines under real clients; its controls add/remove toxics and disable/enable a proxy (seen
// through the proxy and the REST API); the token. VAURIEN_SERVER_DASHBOARD_SCREENSHOT saves a picture.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Page } from 'puppeteer-core';
import { openPage, startBrowser } from '../helpers/browser.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { freePort } from '../helpers/sockets.js';
import { tempFolder } from '../helpers/temp-folder.js';
import { session, startScriptedBackend, startServerCommand, startToxiproxyServer } from '../helpers/toxiproxy-server.js';

const redisServer = redisServerForFile();

async function api(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const answer = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await answer.text();
  assert.ok(answer.ok, `${method} ${url}: ${answer.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

const portOf = (proxy: unknown): number => Number(String((proxy as { listen: string }).listen).split(':').at(-1));

async function waitFor(page: Page, condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; the page shows: ${(await page.$eval('body', (body) => body.textContent ?? '')).replace(/\s+/g, ' ').slice(0, 800)}`);
    await sleep(50);
  }
}

/** The element's text, or '' while it is not on the page yet. */
const text = async (page: Page, selector: string): Promise<string> => (await page.$(selector))?.evaluate((element) => element.textContent ?? '') ?? '';
const attribute = (page: Page, selector: string, name: string): Promise<string> => page.$eval(selector, (element, key) => element.getAttribute(key) ?? '', name);
const cells = (page: Page, selector: string): Promise<string[]> => page.$eval(selector, (row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? ''));
const rows = (page: Page, selector: string): Promise<string[][]> => page.$$eval(selector, (found) => found.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent ?? '')));
const setValue = (page: Page, selector: string, value: string): Promise<void> => page.$eval(selector, (element, given) => void Reflect.set(element, 'value', given), value);

/** INCRs from ioredis until `signal` aborts: RESP2, no ready check, no CLIENT SETINFO (each would be a command given the toxic). */
async function driveRedis(t: TestContext, port: number, signal: AbortSignal): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, disableClientInfo: true, protocol: 2 });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  await client.connect();
  while (!signal.aborted) {
    await Promise.all([client.incr('visits'), client.get('visits')].map((command) => command.catch(() => undefined)));
    await sleep(30);
  }
  client.disconnect();
}

/** Short TCP sessions until `signal` aborts. */
async function driveEcho(port: number, signal: AbortSignal): Promise<void> {
  for (let n = 0; !signal.aborted; n++) {
    await session(port, `ECHO\nhello ${n % 10}`, { stopAt: 10, timeoutMs: 2000 });
    await sleep(40);
  }
}

test('the server dashboard shows each proxy, its toxics, charts that move and fault lines as real clients drive traffic', async (t) => {
  const browser = await startBrowser(t);
  const redis = await redisServer(t);
  if (browser === undefined || redis === undefined) return;
  const backend = await startScriptedBackend(t);
  const { server } = await startToxiproxyServer(t, { seed: 5 });
  const cache = await api(`${server.url}/proxies`, 'POST', { name: 'cache', listen: '127.0.0.1:0', upstream: redis.address, protocol: 'redis' });
  await api(`${server.url}/proxies/cache/toxics`, 'POST', { name: 'flaky', type: 'error', toxicity: 0.3 });
  const web = await api(`${server.url}/proxies`, 'POST', { name: 'web', listen: '127.0.0.1:0', upstream: backend.address });
  await api(`${server.url}/proxies/web/toxics`, 'POST', { name: 'lag', type: 'latency', attributes: { latency: 20, jitter: 5 } });

  const { page, errors } = await openPage(browser, `${server.url}/ui/`);
  await waitFor(page, async () => (await page.$$('section.proxy')).length === 2, 'two proxies');
  assert.deepEqual(await page.$$eval('section.proxy h2', (titles) => titles.map((title) => title.textContent)), ['cache', 'web']);
  assert.equal(await text(page, '[data-proxy=cache] [data-field=protocol]'), 'redis');
  assert.equal(await text(page, '[data-proxy=web] [data-field=protocol]'), 'tcp');
  assert.equal(await text(page, '[data-proxy=cache] [data-field=listen]'), (cache as { listen: string }).listen);
  assert.equal(await text(page, '[data-proxy=cache] [data-field=upstream]'), redis.address);
  assert.equal(await text(page, '[data-proxy=web] [data-field=enabled]'), 'enabled');
  assert.deepEqual(await cells(page, '[data-proxy=cache] tr[data-toxic=flaky]'), ['flaky', 'error', 'downstream', '0.3', 'inject=false warmup=0', '', 'Remove']);
  assert.deepEqual(await cells(page, '[data-proxy=web] tr[data-toxic=lag]'), ['lag', 'latency', 'downstream', '1', 'latency=20 jitter=5', '', 'Remove']);
  assert.match(await text(page, '#version'), /^v\d+\.\d+\.\d+ · Toxiproxy API 2\.12\.0$/);

  const traffic = new AbortController();
  t.after(() => traffic.abort());
  const driving = Promise.all([driveRedis(t, portOf(cache), traffic.signal), driveEcho(portOf(web), traffic.signal)]);
  await waitFor(page, async () => (await page.$$('[data-proxy=cache] tbody[data-field=faults] tr')).length >= 3, 'fault lines of the redis proxy');
  await waitFor(page, async () => (await page.$$('[data-proxy=web] tbody[data-field=faults] tr')).length >= 2, 'fault lines of the tcp proxy');
  const redisRow = await cells(page, '[data-proxy=cache] tbody[data-field=faults] tr');
  assert.deepEqual([redisRow[3], redisRow[5]], ['error (flaky)', 'error reply']);
  assert.match(redisRow[4] ?? '', /^(INCR|GET)$/);
  const tcpRow = await cells(page, '[data-proxy=web] tbody[data-field=faults] tr');
  assert.match(tcpRow[1] ?? '', /^#\d+ stream$/);
  assert.deepEqual([tcpRow[3], tcpRow[4]], ['latency (lag)', 'downstream 10 bytes']);
  assert.match(tcpRow[5] ?? '', /^delayed \d+ ms$/);
  await waitFor(page, async () => Number(await attribute(page, '[data-proxy=cache] [data-chart=exchanges]', 'data-points')) >= 3, 'the charts to move');
  const series = async (proxy: string, chart: string): Promise<string[]> => (await attribute(page, `[data-proxy=${proxy}] [data-chart=${chart}]`, 'data-series')).split(',');
  await waitFor(page, async () => (await series('cache', 'faults')).includes('error') && (await series('web', 'faults')).includes('latency'), 'faults per toxic type');
  assert.ok((await series('cache', 'exchanges')).includes('error') && (await series('cache', 'exchanges')).includes('dummy'));
  assert.equal(await page.$$eval('.uplot canvas', (canvases) => canvases.length), 8, 'four charts per proxy');

  const screenshot = process.env['VAURIEN_SERVER_DASHBOARD_SCREENSHOT'];
  if (screenshot !== undefined && screenshot !== '') {
    await sleep(12_000);
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  }
  traffic.abort();
  await driving;
  assert.deepEqual(errors, [], 'no console error');
  // The browser itself, without the page's header, is refused as Toxiproxy refuses it.
  assert.deepEqual(await page.evaluate(async () => [(await fetch('/proxies')).status, await (await fetch('/proxies')).text()]), [403, 'User agent not allowed\n']);
});

test('the server dashboard’s controls add and remove toxics and disable and enable a proxy, as a client and the REST API see', async (t) => {
  const browser = await startBrowser(t);
  if (browser === undefined) return;
  const backend = await startScriptedBackend(t);
  const port = await freePort();
  const config = join(tempFolder(t, 'server-ui'), 'toxiproxy.json');
  writeFileSync(config, JSON.stringify([{ name: 'web', listen: `127.0.0.1:${port}`, upstream: backend.address }]));
  const running = await startServerCommand(t, ['-host', '127.0.0.1', '-port', '0', '-config', config]);
  const toxics = async (): Promise<unknown> => api(`${running.url}/proxies/web/toxics`, 'GET');
  const roundTripMs = async (): Promise<number> => {
    const seen = await session(port, 'ECHO\nx', { stopAt: 4, timeoutMs: 3000 });
    assert.equal(seen.data.toString(), 'ok\nx');
    return seen.endMs;
  };
  const { page, errors } = await openPage(browser, `${running.url}/ui/`);
  await waitFor(page, async () => (await text(page, '[data-proxy=web] [data-field=enabled]')) === 'enabled', 'the proxy');
  assert.equal(await text(page, '[data-proxy=web] [data-field=no-toxics]'), 'No toxics: the traffic passes untouched.');

  // A latency toxic from the form: its type's attributes as fields.
  await page.select('[data-proxy=web] select[name=type]', 'latency');
  assert.deepEqual(await page.$$eval('[data-proxy=web] [data-attribute]', (inputs) => inputs.map((input) => input.getAttribute('data-attribute'))), ['latency', 'jitter']);
  await setValue(page, '[data-proxy=web] input[data-attribute=latency]', '300');
  await page.type('[data-proxy=web] input[name=name]', 'slow');
  await page.click('[data-proxy=web] .toxic-form button[type=submit]');
  await waitFor(page, async () => (await page.$('[data-proxy=web] tr[data-toxic=slow]')) !== null, 'the new toxic');
  assert.deepEqual(await toxics(), [{ attributes: { latency: 300, jitter: 0 }, name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1 }]);
  assert.ok((await roundTripMs()) >= 290, 'the client waits the latency');

  await page.click('[data-proxy=web] tr[data-toxic=slow] button[data-action=remove]');
  await waitFor(page, async () => (await page.$('[data-proxy=web] tr[data-toxic=slow]')) === null, 'the toxic to go');
  assert.deepEqual(await toxics(), []);
  assert.ok((await roundTripMs()) < 250, 'no latency once removed');

  // A toxic for a while: it shows the time it has left, then removes itself.
  await page.select('[data-proxy=web] select[name=type]', 'reset_peer');
  await page.select('[data-proxy=web] select[name=stream]', 'upstream');
  await page.type('[data-proxy=web] .toxic-form input[name=duration]', '1.5');
  await page.click('[data-proxy=web] .toxic-form button[type=submit]');
  await waitFor(page, async () => /^1\.\d s$|^0\.\d s$/.test(await text(page, '[data-proxy=web] tr[data-toxic=reset_peer_upstream] [data-field=left]')), 'its countdown');
  assert.equal((await session(port, 'ECHO\nx', { timeoutMs: 2000 })).outcome, 'ECONNRESET');
  await waitFor(page, async () => (await page.$('[data-proxy=web] tr[data-toxic=reset_peer_upstream]')) === null, 'the timed toxic to remove itself', 5000);
  assert.deepEqual(await toxics(), []);

  // A refusal is shown in the server's words.
  await page.select('[data-proxy=web] select[name=type]', 'noop');
  for (let n = 0; n < 2; n++) await page.click('[data-proxy=web] .toxic-form button[type=submit]');
  await waitFor(page, async () => (await text(page, '[data-proxy=web] .toxic-form .error')) === 'toxic already exists', 'the refusal');

  await page.click('[data-proxy=web] button[data-action=toggle]');
  await waitFor(page, async () => (await text(page, '[data-proxy=web] [data-field=enabled]')) === 'disabled', 'the proxy disabled');
  assert.equal(((await api(`${running.url}/proxies/web`, 'GET')) as { enabled: boolean }).enabled, false);
  assert.equal((await session(port, 'ECHO\nx', { timeoutMs: 1000 })).outcome, 'ECONNREFUSED');
  await page.click('[data-proxy=web] button[data-action=toggle]');
  await waitFor(page, async () => (await text(page, '[data-proxy=web] [data-field=enabled]')) === 'enabled', 'the proxy enabled');
  assert.equal(((await api(`${running.url}/proxies/web`, 'GET')) as { enabled: boolean }).enabled, true);
  assert.ok((await roundTripMs()) < 250);

  // A proxy made elsewhere appears; one deleted goes.
  await api(`${running.url}/proxies`, 'POST', { name: 'other', listen: '127.0.0.1:0', upstream: backend.address });
  await waitFor(page, async () => (await page.$('section[data-proxy=other]')) !== null, 'the new proxy');
  await api(`${running.url}/proxies/other`, 'DELETE');
  await waitFor(page, async () => (await page.$('section[data-proxy=other]')) === null, 'the deleted proxy to go');
  assert.deepEqual(
    errors.filter((error) => !error.includes('409')),
    [],
    'no console error (but the refused request the page reported)',
  );
  assert.deepEqual(await rows(page, '[data-proxy=web] tbody[data-field=toxics] tr'), [['noop_upstream', 'noop', 'upstream', '1', '', '', 'Remove']]);
});

test('with a token, the server dashboard asks for it, then shows the proxies', async (t) => {
  const browser = await startBrowser(t);
  if (browser === undefined) return;
  const backend = await startScriptedBackend(t);
  const { server } = await startToxiproxyServer(t, { token: 's3cret' });
  await api(`${server.url}/proxies`, 'POST', { name: 'guarded', listen: '127.0.0.1:0', upstream: backend.address }, { Authorization: 'Bearer s3cret' });
  const { page, errors } = await openPage(browser, `${server.url}/ui/`);
  await waitFor(page, async () => (await page.$('dialog#token-dialog[open]')) !== null, 'the token dialog');
  await page.type('#token-input', 'wrong');
  await page.click('#token-form button[type=submit]');
  await waitFor(page, async () => (await page.$eval('#token-error', (element) => Reflect.get(element, 'hidden') !== true)) === true, 'the refusal');
  await setValue(page, '#token-input', 's3cret');
  await page.click('#token-form button[type=submit]');
  await waitFor(page, async () => (await text(page, '[data-proxy=guarded] [data-field=enabled]')) === 'enabled', 'the proxy, once the token is given');
  assert.deepEqual(
    errors.filter((error) => !error.includes('401')),
    [],
    'no console error (but the refused requests)',
  );
});
