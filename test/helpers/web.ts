// The web page in headless Chromium (Debian's chromium, driven by playwright-core) against the real
// server: shared by the browser tests in test/e2e. Every wait is bounded by WAIT_MS.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
