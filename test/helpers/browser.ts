// A real headless browser for the dashboard's tests: Debian's chromium driven by puppeteer-core
// (which never downloads one); missing, it skips loudly, or fails when CI=true. Pages collect
// their console errors and uncaught exceptions, so a test can assert there were none.
import type { TestContext } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { requireBinary } from './backends.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The flags this machine needs (no sandbox as root, no GPU, nothing phoning home), and a fresh profile. */
function chromiumArgs(profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', `--user-data-dir=${profile}`];
}

export interface TestPage {
  readonly page: Page;
  /** Console errors and page errors seen so far. */
  readonly errors: string[];
}

/** A browser for the test (closed when it ends), or undefined when chromium is missing (skipped). */
export async function startBrowser(t: TestContext): Promise<Browser | undefined> {
  const executablePath = requireBinary(t, 'chromium', 'chromium-browser');
  if (executablePath === undefined) return undefined;
  const profile = mkdtempSync(join(tmpdir(), 'vaurien-chromium-'));
  const browser = await puppeteer.launch({ executablePath, headless: true, args: chromiumArgs(profile) });
  // The profile goes once the browser is closed: it writes there until then.
  t.after(async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}

/** A new page whose console errors and exceptions are collected. */
export async function openPage(browser: Browser, url: string): Promise<TestPage> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error instanceof Error ? error.message : String(error)));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

/**
 * Replaces the text of the input at `selector` as a user does: focus first, then clear and type.
 * The dashboard refills a field that is not being edited when the proxy's state arrives, so
 * clearing an unfocused field can race with a refill.
 */
export async function replaceText(page: Page, selector: string, text: string): Promise<void> {
  await page.focus(selector);
  await page.$eval(selector, (element) => void Reflect.set(element, 'value', ''));
  await page.type(selector, text);
}
