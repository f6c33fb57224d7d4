import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { TestClient } from '../helpers/client.js';
import { CHROMIUM, SKIP_NO_CHROMIUM as SKIP, logIn, logText, say, shot, webServer } from '../helpers/web.js';

/**
 * The web client in a real browser: Debian's chromium (installed by .ci/run) driven by
 * playwright-core, against the real server, beside a text-protocol client. Asserts what a person
 * sees on the page. CHAT_SCREENSHOTS=DIR keeps the screenshots there (docs/ for the README's).
 */

test('two browsers and a terminal chat; private messages; HTML stays text; a phone-sized page; a restart reconnects by itself', { skip: SKIP, timeout: 120_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  let { server, url } = await webServer();
  try {
    const alice = await logIn(browser, url, 'user1');
    const bob = await logIn(browser, url, 'user2');
    const carol = await TestClient.login(server.port, 'user3');

    await say(alice, 'hello from a browser');
    await bob.getByText('hello from a browser').waitFor();
    await carol.waitFor('user1: hello from a browser\n');
    carol.send('hello from a terminal\n');
    await alice.getByText('hello from a terminal').waitFor();
    await bob.getByText('hello from a terminal').waitFor();

    // HTML from a user is shown as text and never run.
    carol.send('<img src=x onerror="document.title=\'pwned\'"><b>bold</b>\n');
    await alice.getByText('<img src=x onerror="document.title=\'pwned\'"><b>bold</b>').waitFor();
    assert.equal(await alice.locator('[role="log"] img, [role="log"] b').count(), 0);
    assert.notEqual(await alice.title(), 'pwned');

    // A typed command and a private conversation opened by clicking a name.
    await say(alice, '/me waves');
    await carol.waitFor('* user1 waves\n');
    await say(alice, '/topic Release on Friday');
    await alice.getByText('Release on Friday').first().waitFor();
    await shot(alice, 'web-desktop.png');
    await alice.getByRole('complementary', { name: 'Members' }).getByText('user2', { exact: true }).click();
    await say(alice, 'just between us');
    // Bob is told in his conversation list, and sees it when he opens that conversation.
    await bob.getByRole('navigation', { name: 'Rooms' }).getByText('user1').click({ timeout: 20_000 });
    await bob.getByText('just between us').waitFor({ timeout: 20_000 });
    assert.ok(!carol.text.includes('just between us'));
    carol.send('@user2 psst from the terminal\n');
    await bob.getByRole('navigation', { name: 'Rooms' }).getByText('user3').click({ timeout: 20_000 });
    await bob.getByText('psst from the terminal').waitFor({ timeout: 20_000 });
    await shot(bob, 'web-private.png');

    // A phone-sized screen: no sideways scrolling, the message box on screen.
    const phone = await logIn(browser, url, 'user4', { width: 375, height: 667 });
    await phone.getByText('user4 joined the chat.').or(phone.getByLabel('Message')).first().waitFor();
    const { scrollWidth, innerWidth } = await phone.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
    assert.ok(scrollWidth <= innerWidth, `scrolls sideways: ${scrollWidth} > ${innerWidth}`);
    const box = await phone.getByLabel('Message').boundingBox();
    assert.ok(box !== null && box.y + box.height <= 667, `message box off screen: ${JSON.stringify(box)}`);
    await say(phone, 'from a phone');
    await carol.waitFor('user4: from a phone\n');
    await shot(phone, 'web-phone.png');

    // The server restarts under the open pages: they reconnect and log in by themselves.
    const webPort = new URL(url).port;
    await server.stop();
    carol.destroy();
    await alice.getByText(/Reconnecting/).first().waitFor({ timeout: 20_000 });
    ({ server, url } = await webServer(['--http-port', webPort]));
    const dave = await TestClient.login(server.port, 'user3');
    await dave.waitFor(/user1 joined the chat\.\n/, 60_000).catch(() => undefined);
    await alice.getByText('Reconnected.').first().waitFor({ timeout: 60_000 });
    // Back in the room: a line from the terminal reaches the page again.
    await alice.getByRole('navigation', { name: 'Rooms' }).getByText('lobby').first().click();
    dave.send('welcome back\n');
    await alice.getByText('welcome back').waitFor({ timeout: 20_000 });
    assert.match(await logText(alice), /welcome back/);
    dave.destroy();
  } finally {
    await browser.close();
    await server.stop();
  }
});

test('with --data-dir: a room opens with its earlier messages, older ones come on scrolling up; a private message sent while away waits in its conversation', { skip: SKIP, timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatd-web-history-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  const { server, url } = await webServer(['--data-dir', dataDir, '--flood-rate', '0']);
  try {
    // Said before any page logs in: 70 lines (the page asks for 50 at a time) and a private message to user2.
    const carol = await TestClient.login(server.port, 'user3');
    for (let i = 1; i <= 70; i++) carol.send(`earlier line ${i}\n`);
    carol.send('@user2 sent while you were out\n');
    await carol.waitFor('[SERVER] User user2 is offline; the message will be delivered when they log in.\n');

    const alice = await logIn(browser, url, 'user1');
    const log = alice.locator('[role="log"]:visible');
    await alice.getByText('Earlier messages', { exact: true }).waitFor({ timeout: 20_000 });
    await alice.getByText('earlier line 70', { exact: true }).waitFor({ timeout: 20_000 });
    // Marked as earlier messages, once each, above what comes live.
    assert.equal(await log.locator('.line--earlier').count(), 50);
    assert.equal(await log.getByText('earlier line 20', { exact: true }).count(), 0);
    carol.send('said live\n');
    await alice.getByText('said live').waitFor({ timeout: 20_000 });
    assert.equal(await log.locator('.line--earlier').filter({ hasText: 'said live' }).count(), 0);
    assert.match(await logText(alice), /earlier line 70[\s\S]*said live/);
    await shot(alice, 'web-history.png');

    // Scrolled to the top: the 20 older lines come above, and the line that was at the top stays in view.
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    await alice.getByText('earlier line 1', { exact: true }).waitFor({ timeout: 20_000 });
    await alice.getByText('The start of the history').waitFor({ timeout: 20_000 });
    assert.equal(await log.locator('.line--earlier').count(), 70);
    const box = await log.boundingBox();
    const kept = await log.getByText('earlier line 21', { exact: true }).boundingBox();
    assert.ok(box !== null && kept !== null && kept.y >= box.y && kept.y + kept.height <= box.y + box.height, `earlier line 21 is out of view: ${JSON.stringify({ box, kept })}`);
    assert.ok(await log.evaluate((el) => el.scrollTop > 0), 'the log jumped to the top');
    assert.equal(await log.getByText('earlier line 50', { exact: true }).count(), 1);
    await shot(alice, 'web-history-older.png');

    // user2 logs in: the message kept for them is in their conversation with user3, marked.
    const bob = await logIn(browser, url, 'user2');
    await bob.getByRole('navigation', { name: 'Rooms' }).getByText('user3').click({ timeout: 20_000 });
    await bob.getByText('sent while you were out').waitFor({ timeout: 20_000 });
    await bob.getByText('sent while you were away').waitFor({ timeout: 20_000 });
    await shot(bob, 'web-offline.png');
    carol.destroy();
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
