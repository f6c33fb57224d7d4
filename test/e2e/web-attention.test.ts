import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { TestClient } from '../helpers/client.js';
import { waitUntil } from '../helpers/wait.js';
import { SKIP_NO_CHROMIUM as SKIP, logIn, logText, say, setHidden, withBrowser } from '../helpers/web.js';

/**
 * What the page does to catch its user's eye, in headless Chromium against the real server: one's
 * own `@user text` typed in a room shown in the conversation with that user, the unread marker where
 * the user left a room, and desktop notifications (asked for on the first private message or
 * mention, never on load; shown only while the tab is hidden).
 */

test('@user2 typed in a room: the conversation with user2 opens and shows the message; user2 gets it', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBrowser([], async ({ browser, server, url }) => {
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
  });
});

/** The lines of the conversation on screen, in order, the unread marker among them. */
function logLines(page: Page): Promise<string[]> {
  return page.locator('[role="log"]:visible > li').allInnerTexts();
}

/** Asserts one unread marker, between the line matching `before` and the one matching `after`. */
async function markerBetween(page: Page, before: RegExp, after: RegExp): Promise<void> {
  const lines = await logLines(page);
  const at = lines.flatMap((l, i) => (/^New messages$/.test(l.trim()) ? [i] : []));
  assert.equal(at.length, 1, `one unread marker expected: ${JSON.stringify(lines)}`);
  assert.match(lines[at[0]! - 1] ?? '', before, JSON.stringify(lines));
  assert.match(lines[at[0]! + 1] ?? '', after, JSON.stringify(lines));
}

test('the unread marker: a line where the user left a room, moved when they leave it again, and set when the tab was hidden', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBrowser([], async ({ browser, server, url }) => {
    const bob = await TestClient.login(server.port, 'user2');
    const alice = await logIn(browser, url, 'user1');
    const nav = alice.getByRole('navigation', { name: 'Rooms' });
    bob.send('read 1\n');
    await alice.getByText('read 1').waitFor();
    // Nothing unread yet: no marker.
    assert.deepEqual((await logLines(alice)).filter((l) => l.includes('New messages')), []);

    // Alice looks at another room while two lines come to the lobby: back there, the marker is
    // above the first of them.
    await say(alice, '/join elsewhere');
    await alice.getByRole('heading', { name: '#elsewhere', exact: true }).waitFor();
    bob.send('unread 1\n');
    bob.send('unread 2\n');
    await nav.getByRole('button', { name: /lobby.*\(2 unread\)/ }).waitFor();
    await nav.getByRole('button', { name: /lobby/ }).click();
    await markerBetween(alice, /read 1/, /unread 1/);

    // A line that comes while she reads the room leaves the marker where it is.
    bob.send('seen live\n');
    await alice.getByText('seen live').waitFor();
    await markerBetween(alice, /read 1/, /unread 1/);

    // She leaves again and one more line comes: the marker moves to it (still only one).
    await nav.getByRole('button', { name: /elsewhere/ }).click();
    bob.send('unread 3\n');
    await nav.getByRole('button', { name: /lobby.*\(1 unread\)/ }).waitFor();
    await nav.getByRole('button', { name: /lobby/ }).click();
    await markerBetween(alice, /seen live/, /unread 3/);

    // The tab hidden while the lobby is on screen: what comes meanwhile is below the marker.
    await setHidden(alice, true);
    bob.send('while hidden\n');
    await alice.getByText('while hidden').waitFor();
    assert.match(await alice.title(), /^\(1\) #lobby/);
    await setHidden(alice, false);
    await markerBetween(alice, /unread 3/, /while hidden/);
    bob.destroy();
  });
});

/** Counts the page's calls of Notification.requestPermission (headless Chromium answers 'denied'). */
const COUNT_ASKS = `(() => {
  window.__asked = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => { window.__asked += 1; return ask(...args); };
})()`;

/** Records every notification the page makes, and whether Chromium fired its 'show' event. */
const RECORD_NOTIFICATIONS = `(() => {
  window.__shown = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      const seen = { title, body: options && options.body, shown: false };
      window.__shown.push(seen);
      this.addEventListener('show', () => { seen.shown = true; });
    }
  };
})()`;

const offer = (page: Page) => page.getByRole('region', { name: 'Desktop notifications' });

test('notification permission: never asked for on load; offered on the first mention or private message, asked on "Turn on"; "Not now" keeps it quiet', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBrowser([], async ({ browser, server, url }) => {
    const context = await browser.newContext();
    await context.addInitScript(COUNT_ASKS);
    const bob = await TestClient.login(server.port, 'user2');
    const alice = await logIn(context, url, 'user1');
    await alice.getByRole('complementary', { name: 'Members' }).getByText('user2', { exact: true }).waitFor();
    bob.send('a line for everyone\n');
    await alice.getByText('a line for everyone').waitFor();
    // Loaded, logged in, chatting: no request, no offer.
    assert.equal(await alice.evaluate('window.__asked'), 0);
    assert.equal(await alice.evaluate('Notification.permission'), 'default');
    assert.equal(await offer(alice).isVisible(), false);

    // The first mention of her name brings the offer; the browser is asked only when she accepts.
    bob.send('user1: can you look?\n');
    await offer(alice).waitFor();
    assert.equal(await alice.evaluate('window.__asked'), 0);
    await offer(alice).getByRole('button', { name: 'Turn on' }).click();
    await waitUntil(async () => (await alice.evaluate('window.__asked')) === 1, () => 'requestPermission was not called');
    await offer(alice).waitFor({ state: 'hidden' });

    // Another user: the first private message brings the offer; "Not now" hides it for good.
    const carol = await logIn(context, url, 'user3');
    await carol.getByRole('complementary', { name: 'Members' }).getByText('user2', { exact: true }).waitFor();
    assert.equal(await offer(carol).isVisible(), false);
    bob.send('@user3 first private\n');
    await offer(carol).waitFor();
    await offer(carol).getByRole('button', { name: 'Not now' }).click();
    await offer(carol).waitFor({ state: 'hidden' });
    bob.send('@user3 second private\n');
    await carol.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /user2.*\(2 unread\)/ }).waitFor();
    assert.equal(await offer(carol).isVisible(), false);
    assert.equal(await carol.evaluate('window.__asked'), 0);
    bob.destroy();
  });
});

test('with notifications allowed: a private message and a mention while the tab is hidden each show one; nothing while it is in sight or for other lines', { skip: SKIP, timeout: 120_000 }, async () => {
  await withBrowser([], async ({ browser, server, url }) => {
    const context = await browser.newContext({ permissions: ['notifications'] });
    await context.addInitScript(RECORD_NOTIFICATIONS);
    const bob = await TestClient.login(server.port, 'user2');
    const alice = await logIn(context, url, 'user1');
    await alice.getByRole('complementary', { name: 'Members' }).getByText('user2', { exact: true }).waitFor();

    // In sight: a private message makes no notification (and, allowed already, no offer).
    bob.send('@user1 while you look\n');
    await alice.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /user2.*\(1 unread\)/ }).waitFor();
    assert.equal(await offer(alice).isVisible(), false);

    await setHidden(alice, true);
    bob.send('nobody named here\n');
    bob.send('hey USER1, look at this\n');
    bob.send('@user1 psst\n');
    type Shown = { title: string; body: string; shown: boolean };
    let shown: Shown[] = [];
    await waitUntil(async () => {
      shown = (await alice.evaluate('window.__shown')) as Shown[];
      return shown.length >= 2 && shown.every((n) => n.shown);
    }, () => `notifications: ${JSON.stringify(shown)}`);
    assert.deepEqual(shown, [
      { title: 'user2 in #lobby', body: 'hey USER1, look at this', shown: true },
      { title: 'user2 (private)', body: 'psst', shown: true },
    ]);

    // Back in sight: a private message makes none; a marker line proves it was handled.
    await setHidden(alice, false);
    bob.send('@user1 now you look\n');
    bob.send('@user1 marker\n');
    await alice.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /user2/ }).click();
    await alice.getByText('marker', { exact: true }).waitFor();
    assert.equal(((await alice.evaluate('window.__shown')) as Shown[]).length, 2);
    bob.destroy();
  });
});
