import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { TestClient } from '../helpers/client.js';
import { CHROMIUM, SKIP_NO_CHROMIUM as SKIP, logIn, logText, say, webServer } from '../helpers/web.js';

/**
 * What the page does to catch its user's eye, in headless Chromium against the real server: one's
 * own `@user text` typed in a room shown in the conversation with that user, the unread marker where
 * the user left a room, and desktop notifications (asked for on the first private message or
 * mention, never on load; shown only while the tab is hidden).
 */

test('@user2 typed in a room: the conversation with user2 opens and shows the message; user2 gets it', { skip: SKIP, timeout: 120_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  const { server, url } = await webServer();
  try {
    const bob = await TestClient.login(server.port, 'user2');
    const alice = await logIn(browser, url, 'user1');
    await alice.getByRole('complementary', { name: 'Members' }).getByText('user2', { exact: true }).waitFor();

    // Typed in #lobby's box, with the name in another case: the message goes to user2, and the page
    // shows it in the conversation with user2, which it opens and lists.
    await say(alice, '@USER2 hi, only for you');
    await bob.waitFor('[PRIVATE] user1: hi, only for you\n');
    await alice.getByRole('heading', { name: '@user2', exact: true }).waitFor();
    assert.match(await logText(alice), /user1\s*:?\s*hi, only for you/);
    await alice.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: 'user2' }).waitFor();
    // Not in the room's log: nobody else there saw it.
    await alice.getByRole('navigation', { name: 'Rooms' }).getByText('lobby').click();
    assert.doesNotMatch(await logText(alice), /only for you/);

    // The answer lands in the same conversation, not a second one.
    bob.send('@user1 got it\n');
    await alice.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /user2/ }).click();
    await alice.getByText('got it').waitFor();
    assert.match(await logText(alice), /hi, only for you[\s\S]*got it/);
    assert.equal(await alice.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /user2/ }).count(), 1);

    // To someone not online: the conversation opens, and the server's answer is shown in it.
    await alice.getByRole('navigation', { name: 'Rooms' }).getByText('lobby').click();
    await say(alice, '@user3 are you there?');
    await alice.getByRole('heading', { name: '@user3', exact: true }).waitFor();
    await alice.getByText(/User user3 not online/).waitFor();
    assert.match(await logText(alice), /are you there\?/);
    bob.destroy();
  } finally {
    await browser.close();
    await server.stop();
  }
});
