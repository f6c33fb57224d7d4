import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../src/store/accounts/users-file.js';
import { TestClient } from '../helpers/client.js';
import { rawIrc, withIrc } from '../helpers/irc-client.js';
import { WsTestClient } from '../helpers/ws-client.js';

// What the first IRC slice left: --max-rooms-per-user, away-notify, case-insensitive names and
// rooms, guests beside a users file, QUIT reasons, KICK and INVITE; over real sockets.

/** Sends one line and returns what arrived from then until `until` matched. */
async function ask(c: TestClient, line: string, until: RegExp | string): Promise<string> {
  const from = c.text.length;
  c.send(`${line}\r\n`);
  await c.waitFor(until, 10_000, from);
  return c.text.slice(from);
}

test('--max-rooms-per-user: advertised as CHANLIMIT, a join beyond it gets 405', () =>
  withIrc(['--max-rooms-per-user', '2'], async (_server, irc) => {
    const c = await rawIrc(irc, 'user1');
    assert.match(c.text, / 005 user1 .*CHANLIMIT=#:2 /);
    const answer = await ask(c, 'JOIN #a,#b', / 405 /);
    assert.match(answer, /:user1!user1@irc\.test JOIN #a\r\n/);
    assert.match(answer, /:irc\.test 405 user1 #b :You have joined too many channels\r\n/);
    c.send('PART #a\r\n');
    await c.waitFor(':user1!user1@irc.test PART #a\r\n');
    assert.match(await ask(c, 'JOIN #b', / 366 user1 #b /), /JOIN #b\r\n/);
    c.destroy();
  }));

test('names and rooms are case-insensitive on every protocol: PRIVMSG USER1 reaches user1, #Dev is #dev, User2 is a duplicate of user2', () =>
  withIrc([], async (server, irc) => {
    // The account name is what the user becomes, whatever case was typed.
    const text = await TestClient.connect(server.port);
    await text.waitFor('Enter username: ');
    text.send('USER1\nuser1p\n');
    await text.waitFor("Welcome user1! Type 'exit' to leave.\n");
    const c = await rawIrc(irc, 'User2', 'user2p');
    assert.match(c.text, /:irc\.test 001 user2 :/);
    c.send('PRIVMSG USER1 :psst\r\n');
    await text.waitFor('[PRIVATE] user2: psst\n');
    await server.waitForLog(/^\[PRIVATE\] user2 -> user1$/);
    text.send('@USER2 back\n');
    await c.waitFor(':user1!user1@irc.test PRIVMSG user2 back\r\n');
    assert.match(await ask(c, 'JOIN #Dev', / 366 user2 #Dev /), /:user2!user2@irc\.test JOIN #Dev\r\n/);
    text.send('/join DEV\n');
    await text.waitFor('You are now in room Dev.\n');
    await c.waitFor(':user1!user1@irc.test JOIN #Dev\r\n');
    c.send('PRIVMSG #dEv :same room\r\n');
    await text.waitFor('user2: same room\n');
    assert.match(await ask(c, 'NAMES #DEV', / 366 /), / 353 user2 = #Dev :(user2 user1|user1 user2)\r\n/);
    assert.match(await ask(c, 'WHOIS USER1', / 318 /), / 311 user2 user1 user1 irc\.test \* :user1\r\n/);
    assert.match(await ask(c, 'ISON USER1 nobody', / 303 /), / 303 user2 :user1\r\n/);
    assert.match(await ask(c, 'MODE USER2', / 221 /), / 221 user2 \+i\r\n/);
    // CASEMAPPING=ascii: a look-alike outside ASCII is another (unknown) name, not user1.
    assert.match(await ask(c, 'PRIVMSG \u212Aser1 :x', / 401 /), / 401 user2 \S+ :No such nick\/channel\r\n/);
    assert.match(await ask(c, 'PART #DEV', /PART/), /:user2!user2@irc\.test PART #Dev\r\n/);
    // One session per name, whatever the case, on every protocol.
    const dup = await TestClient.connect(server.port);
    dup.send('User2\nuser2p\n');
    await dup.waitFor('Username already logged in. Connection closed.\n');
    const dupIrc = await TestClient.connect(irc);
    dupIrc.send('NICK USER1\r\n');
    await dupIrc.waitFor(':irc.test 433 * USER1 :Nickname is already in use\r\n');
    dupIrc.send('PASS uSeR1:user1p\r\nNICK other\r\nUSER u 0 * :u\r\n');
    await dupIrc.waitFor(':irc.test 433 other uSeR1 :Nickname is already in use\r\n');
    await server.waitForLog(/^\[DUPLICATE LOGIN\] user1$/);
    for (const x of [text, c, dup, dupIrc]) x.destroy();
  }));

test('--auth open with --users: names in the file need their password (any case), other names are guests on every protocol, without offline messages', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chatd-guests-'));
  try {
    const users = join(dir, 'users.txt');
    await addUser(users, 'alice', 'secret', false);
    await withIrc(['--auth', 'open', '--users', users, '--data-dir', join(dir, 'data')], async (server, irc) => {
      await server.waitForLog(/^Accounts: accounts from .* \(1 user\); any other valid name is a guest/);
      // A registered name: the wrong password, or none, is refused on both protocols, in any case.
      const wrong = await TestClient.connect(server.port);
      wrong.send('ALICE\nguess\n');
      await wrong.waitFor(/Invalid|incorrect/i);
      const none = await TestClient.connect(irc);
      none.send('NICK Alice\r\nUSER a 0 * :a\r\n');
      await none.waitFor(':irc.test 464 Alice :Password incorrect\r\n');
      await none.waitClosed();
      // Guests: any other valid name, any password or none.
      const guest = await TestClient.login(server.port, 'bob', 'whatever');
      const ircGuest = await TestClient.connect(irc);
      ircGuest.send('NICK carol\r\nUSER c 0 * :c\r\n');
      await ircGuest.waitFor(' 366 carol #lobby :End of /NAMES list\r\n');
      // Garbage names are still refused.
      const bad = await TestClient.connect(irc);
      assert.match(await ask(bad, 'NICK \u0000\u00ff', / 432 /), / 432 \* \S+ :Erroneous nickname\r\n/);
      bad.destroy();
      // Offline messages: kept for the account (filed under its own spelling), not for a guest.
      guest.send('@ALICE see you later\n');
      await guest.waitFor('User ALICE is offline; the message will be delivered when they log in.\n');
      assert.match(await ask(ircGuest, 'PRIVMSG dave :hi', / 401 /), / 401 carol dave :No such nick\/channel\r\n/);
      // The registered user with their password, in another case: they become `alice` and get it.
      const alice = await rawIrc(irc, 'ALICE', 'secret');
      assert.match(alice.text, /:irc\.test 001 alice :/);
      await alice.waitFor(/:bob!bob@irc\.test PRIVMSG alice :\[OFFLINE [^\]]+\] see you later\r\n/);
      for (const c of [wrong, guest, ircGuest, alice]) c.destroy();
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('away-notify: AWAY set and cleared reaches IRC neighbours that asked (once each), a WebSocket away frame, and nothing on the text protocol', () =>
  withIrc(['--http-port', '0'], async (server, irc) => {
    const web = Number(/:(\d+)\/$/.exec(await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/))![1]);
    const notified = await rawIrc(irc, 'user1', 'user1p', ['away-notify', 'server-time']);
    assert.match(notified.text, /CAP \* ACK :?away-notify server-time\r\n/);
    const plain = await rawIrc(irc, 'user2');
    const text = await TestClient.login(server.port, 'user3');
    const browser = await WsTestClient.login(web, 'user4');
    // Two shared rooms, one AWAY line.
    await ask(notified, 'JOIN #dev', / 366 user1 #dev /);
    await ask(plain, 'JOIN #dev', / 366 user2 #dev /);
    await notified.waitFor(/:user2!user2@irc\.test JOIN #dev\r\n/);
    const from = notified.text.length;
    assert.match(await ask(plain, 'AWAY :gone to lunch', / 306 /), / 306 user2 :You have been marked as being away\r\n/);
    await notified.waitFor(/@time=\S+ :user2!user2@irc\.test AWAY :gone to lunch\r\n/, 10_000, from);
    const status = await browser.waitFor((f) => f.type === 'away');
    assert.deepEqual({ ...status, at: 0 }, { type: 'away', at: 0, user: 'user2', text: 'gone to lunch' });
    // Garbage in the reason: controls stripped, no second line, still one AWAY.
    assert.match(await ask(plain, 'AWAY :\u0001back\u0000 \u001b[31msoon', / 306 /), / 306 /);
    await notified.waitFor(/:user2!user2@irc\.test AWAY :back/, 10_000, from);
    assert.match(await ask(plain, 'AWAY', / 305 /), / 305 user2 :You are no longer marked as being away\r\n/);
    await notified.waitFor(/ :user2!user2@irc\.test AWAY\r\n/, 10_000, from);
    await browser.waitFor((f) => f.type === 'away' && f.text === '');
    // AWAY again while back is no change: nothing is sent (a marker shows it).
    assert.match(await ask(plain, 'AWAY', / 305 /), / 305 /);
    plain.send('PRIVMSG #lobby :marker\r\n');
    await notified.waitFor(':user2!user2@irc.test PRIVMSG #lobby marker\r\n', 10_000, from);
    await text.waitFor('user2: marker\n');
    assert.equal(notified.text.slice(from).match(/ AWAY( :|\r\n)/g)?.length, 3, notified.text.slice(from));
    assert.ok(!/ AWAY( :|\r\n)/.test(plain.text), 'user2 did not ask for away-notify and sees no AWAY lines');
    assert.ok(!/away|lunch/i.test(text.text), text.text);
    // The renderer is fixed once registered: away-notify cannot be changed then.
    assert.match(await ask(plain, 'CAP REQ away-notify', / NAK /), /CAP user2 NAK :away-notify\r\n/);
    assert.match(await ask(notified, 'CAP LS 302', / LS /), /CAP user1 LS :away-notify batch cap-notify /);

    // QUIT reasons: IRC neighbours see them (sanitised, cut), the text protocol keeps its words.
    plain.send(`QUIT :see you \u0007tomorrow${'!'.repeat(300)}\r\n`);
    await notified.waitFor(/:user2!user2@irc\.test QUIT :Quit: see you tomorrow!+\r\n/, 10_000, from);
    const quitLine = /QUIT :Quit: see you tomorrow(!+)\r\n/.exec(notified.text)!;
    assert.equal(quitLine[1]!.length, 100 - 'see you tomorrow'.length);
    await text.waitFor('user2 left the chat.\n');
    await browser.waitFor((f) => f.type === 'left' && f.user === 'user2');
    text.send('exit\n');
    await notified.waitFor(/:user3!user3@irc\.test QUIT :Quit\r\n/, 10_000, from);
    for (const c of [notified, plain, text]) c.destroy();
    browser.close();
  }));

test('KICK and INVITE: 403, 442 and 482 (no channel operators here) for KICK; INVITE checked, answered with 341 and delivered as a private line', () =>
  withIrc([], async (server, irc) => {
    const a = await rawIrc(irc, 'user1');
    const text = await TestClient.login(server.port, 'user2');
    assert.match(await ask(a, 'KICK #lobby user2 :bye', / 482 /), /:irc\.test 482 user1 #lobby :You're not channel operator\r\n/);
    assert.match(await ask(a, 'KICK #nowhere user2', / 403 /), / 403 user1 #nowhere :No such channel\r\n/);
    assert.match(await ask(a, 'KICK', / 461 /), / 461 user1 KICK :Not enough parameters\r\n/);
    assert.match(await ask(a, 'KICK \u0000#\u00ff ,,, :x', / 403 /), / 403 /);
    assert.match(await ask(a, 'INVITE user2 #lobby', / 443 /), / 443 user1 user2 #lobby :is already on channel\r\n/);
    assert.match(await ask(a, 'INVITE nobody #lobby', / 401 /), / 401 user1 nobody :No such nick\/channel\r\n/);
    assert.match(await ask(a, 'INVITE user2', / 461 /), / 461 user1 INVITE :Not enough parameters\r\n/);
    text.send('/join dev\n');
    await a.waitFor(':user2!user2@irc.test PART #lobby\r\n');
    assert.match(await ask(a, 'INVITE USER2 #dev', / 442 /), / 442 user1 #dev :You're not on that channel\r\n/);
    a.send('JOIN #dev\r\n');
    await a.waitFor(' 366 user1 #dev ');
    const mark = a.text.length;
    text.send('/join lobby\n');
    await a.waitFor(':user2!user2@irc.test JOIN #lobby\r\n', 10_000, mark);
    assert.match(await ask(a, 'INVITE USER2 #DEV', / 341 /), /:irc\.test 341 user1 user2 #dev\r\n/);
    await text.waitFor('[PRIVATE] user1: * user1 invites you to #dev\n');
    a.destroy();
    text.destroy();
  }));
