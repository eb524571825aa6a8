// The dashboard (SPEC 15) in a real headless chromium: no console error, live state, charts and
// fault lines as a real client drives traffic; its controls change the proxy (checked through it);
// it asks for a token. VAURIEN_DASHBOARD_SCREENSHOT=docs/dashboard.png saves the README's picture.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { request } from 'undici';
import { startApi } from '../api/harness.js';
import { openPage, replaceText, startBrowser } from '../helpers/browser.js';
import { startHttpServer } from '../helpers/http-server.js';

/** A real client through the proxy: a new connection each time (`error` closes its own). */
async function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  const answer = await request(`http://127.0.0.1:${port}${path}`, { reset: true });
  return { status: answer.statusCode, body: await answer.body.text() };
}

/** Requests through the proxy until `signal` aborts, a few at a time. */
async function drive(port: number, signal: AbortSignal): Promise<void> {
  for (let i = 0; !signal.aborted; i++) {
    await Promise.all([0, 1, 2].map((lane) => get(port, `/orders/${i}-${lane}?page=${i % 4}`).catch(() => undefined)));
    await sleep(20);
  }
}

async function waitFor(page: Page, condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; the page (${page.url()}) shows: ${(await page.$eval('body', (body) => body.textContent ?? '')).replace(/\s+/g, ' ').slice(0, 800)}`);
    await sleep(50);
  }
}

/** Sets a field's value as a script would (then typing appends to it). */
const setValue = (page: Page, selector: string, value: string): Promise<void> => page.$eval(selector, (element, given) => void Reflect.set(element, 'value', given), value);
const isShown = (page: Page, selector: string): Promise<boolean> => page.$eval(selector, (element) => Reflect.get(element, 'hidden') !== true);
/** The element's text, or '' while it is not on the page yet. */
const text = async (page: Page, selector: string): Promise<string> => (await page.$(selector))?.evaluate((element) => element.textContent ?? '') ?? '';
const attribute = (page: Page, selector: string, name: string): Promise<string> => page.$eval(selector, (element, key) => element.getAttribute(key) ?? '', name);

async function setup(t: TestContext, apiOptions: { token?: string } = {}) {
  const backend = await startHttpServer(t, (incoming, response) => response.end(`orders ${incoming.url}`));
  const api = await startApi(t, { backend: backend.address, protocol: 'http', behavior: '30:error', name: 'orders-api' }, apiOptions);
  return { backend, api };
}

test('the dashboard shows the proxy live: its behavior, charts that move, and fault lines as a client drives traffic', async (t) => {
  const browser = await startBrowser(t);
  if (browser === undefined) return;
  const { api } = await setup(t);
  const { page, errors } = await openPage(browser, `${api.base}/ui/`);
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === '30:error', 'the behavior');
  assert.equal(await text(page, '[data-field=protocol]'), 'http');
  assert.equal(await text(page, '.proxy h2'), 'orders-api');
  assert.equal(await page.$eval('input[name=backend]', (input) => String(Reflect.get(input, 'value'))), `${api.proxy.getBackend().host}:${api.proxy.getBackend().port}`);

  const traffic = new AbortController();
  t.after(() => traffic.abort());
  const driving = drive(api.port, traffic.signal);
  await waitFor(page, async () => (await page.$$('tbody[data-field=faults] tr')).length >= 3, 'fault lines');
  const row = await page.$eval('tbody[data-field=faults] tr', (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
  assert.match(row[4] ?? '', /^GET \/orders\/\d+-\d\?page=\d$/);
  assert.deepEqual([row[3], row[5]], ['error', 'error reply']);
  await waitFor(page, async () => Number(await attribute(page, '[data-chart=exchanges]', 'data-points')) >= 3, 'the exchanges chart to move');
  const series = (await attribute(page, '[data-chart=exchanges]', 'data-series')).split(',');
  assert.ok(series.includes('error') && series.includes('dummy'), `series ${series.join(',')}`);
  assert.ok((await attribute(page, '[data-chart=faults]', 'data-series')).split(',').includes('error'));
  assert.equal(await page.$$eval('.uplot canvas', (canvases) => canvases.length), 4, 'four charts drawn');
  const screenshot = process.env['VAURIEN_DASHBOARD_SCREENSHOT'];
  if (screenshot !== undefined && screenshot !== '') {
    // A richer mix for the picture, and a few more points on each chart.
    api.proxy.setBehavior('15:delay,10:error,5:abort', { delay: { sleep: 0.05 } });
    await sleep(12_000);
    await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  }
  traffic.abort();
  await driving;
  assert.deepEqual(errors, [], 'no console error');
});

test("the dashboard's controls change the proxy: a mix for a while, then the previous one; the backend", async (t) => {
  const browser = await startBrowser(t);
  if (browser === undefined) return;
  const { api } = await setup(t);
  const other = await startHttpServer(t, (_incoming, response) => response.end('the other backend'));
  const { page, errors } = await openPage(browser, `${api.base}/ui/`);
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === '30:error', 'the behavior');

  await replaceText(page, 'input[name=spec]', '100:blackout');
  await page.type('input[name=duration]', '1.5');
  await page.click('.behavior-form button[type=submit]');
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === 'blackout', 'the new behavior');
  assert.match(await text(page, '[data-field=remaining]'), /^for (1\.\d|0\.\d) s, then 30:error$/);
  await assert.rejects(get(api.port), 'blackout cuts the connection');
  // The previous mix comes back by itself, and the page shows it.
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === '30:error', 'the previous behavior', 5000);
  assert.equal(await text(page, '[data-field=remaining]'), '');
  assert.equal(api.proxy.getBehavior().behavior, '30:error');

  await replaceText(page, 'input[name=spec]', 'delay');
  await waitFor(page, async () => (await page.$$('input[data-option=sleep]')).length === 1, 'the option fields of delay');
  await setValue(page, 'input[data-option=sleep]', '0.3');
  await page.click('.behavior-form button[type=submit]');
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === 'delay', 'delay');
  const started = performance.now();
  assert.equal((await get(api.port)).status, 200);
  assert.ok(performance.now() - started >= 290, 'the proxy delays by the sleep the page set');

  await replaceText(page, 'input[name=backend]', other.address);
  await page.click('.backend-form button[type=submit]');
  await waitFor(page, () => api.proxy.getBackend().port === other.port, 'the backend to move');
  assert.equal((await get(api.port)).body, 'the other backend');

  // A mistake is shown as the API wrote it, and changes nothing.
  await replaceText(page, 'input[name=spec]', '120:error');
  await page.click('.behavior-form button[type=submit]');
  await waitFor(page, async () => await isShown(page, '.behavior-form .error'), 'the error');
  assert.match(await text(page, '.behavior-form .error'), /100/);
  assert.equal(api.proxy.getBehavior().behavior, 'delay');
  assert.deepEqual(
    errors.filter((error) => !error.includes('400')),
    [],
    'no console error (but the refused request the page reported)',
  );
});

test('with a token, the dashboard asks for it, refuses a wrong one, then shows the proxy', async (t) => {
  const browser = await startBrowser(t);
  if (browser === undefined) return;
  const { api } = await setup(t, { token: 's3cret' });
  const { page, errors } = await openPage(browser, `${api.base}/ui/`);
  await waitFor(page, async () => (await page.$('dialog#token-dialog[open]')) !== null, 'the token dialog');
  await page.type('#token-input', 'wrong');
  await page.click('#token-form button[type=submit]');
  await waitFor(page, async () => await isShown(page, '#token-error'), 'the refusal');
  await replaceText(page, '#token-input', 's3cret');
  await page.click('#token-form button[type=submit]');
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === '30:error', 'the behavior, once the token is given');
  assert.equal(await page.$('dialog#token-dialog[open]'), null);
  // Kept in the page: a reload needs no token again.
  await page.reload({ waitUntil: 'load' });
  await waitFor(page, async () => (await text(page, '[data-field=behavior]')) === '30:error', 'the behavior after a reload');
  assert.deepEqual(
    errors.filter((error) => !error.includes('401')),
    [],
    'no console error (but the refused requests)',
  );
});
