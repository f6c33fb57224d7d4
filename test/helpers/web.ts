// The web page in headless Chromium (Debian's chromium, driven by playwright-core) against the real
// server: shared by the browser tests in test/e2e. Every wait is bounded by WAIT_MS.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type ServerProc } from './server.js';
import { WAIT_MS } from './wait.js';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
/** The `skip` of a browser test: a reason when Chromium is missing. */
export const SKIP_NO_CHROMIUM = CHROMIUM === undefined ? 'chromium is not installed (CI installs it); skipping the browser tests' : false;
const SHOTS = process.env['CHAT_SCREENSHOTS'] ?? join(tmpdir(), 'chatd-web-shots');

/** Starts the server with its web listener on a free port; resolves with the page's URL. */
export async function webServer(args: string[] = []): Promise<{ server: ServerProc; url: string }> {
  const server = await startServer(['--http-port', '0', ...args]);
  const line = await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
  return { server, url: line.slice('Web client on '.length) };
}

/** Opens the page (in `where`: a browser, or a context with its own permissions) and logs in as `user` (password `${user}p`). */
export async function logIn(where: Browser | BrowserContext, url: string, user: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await where.newPage({ viewport });
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(url);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(`${user}p`);
  await page.getByLabel('Password').press('Enter');
  await page.getByLabel('Message').waitFor({ timeout: WAIT_MS });
  return page;
}

/** Types `text` into the message box and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** The visible text of the current conversation's log. */
export function logText(page: Page): Promise<string> {
  return page.locator('[role="log"]:visible').innerText();
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name) });
}

/**
 * Makes the page believe its tab was hidden (or shown again): headless Chromium never hides a page
 * (not for another tab, not when minimised), so the test sets what a hidden tab reports
 * (`document.hidden`, `visibilityState`) and fires the `visibilitychange` the browser would.
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  // A string: the tests are compiled without the DOM's types.
  await page.evaluate(`(() => {
    const h = ${hidden};
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  })()`);
}

/** Runs `body` with headless Chromium and a fresh server (`args` added), and closes both after. */
export async function withBrowser(args: string[], body: (b: { browser: Browser; server: ServerProc; url: string }) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  try {
    const { server, url } = await webServer(args);
    try {
      await body({ browser, server, url });
    } finally {
      await server.stop();
    }
  } finally {
    await browser.close();
  }
}
