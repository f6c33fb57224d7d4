import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { makeCert } from '../helpers/certs.js';
import { TestClient } from '../helpers/client.js';
import { IrcLibClient, rawIrc, withIrc } from '../helpers/irc-client.js';

// The IRC listener on the real server: irc-framework (a real IRC client library) and raw sockets,
// side by side with text-protocol users in the same rooms.

test('registration with SASL (irc-framework): 001-005, LUSERS, MOTD, then joined to #lobby; a text user sees the join', () =>
  withIrc([], async (server, irc) => {
    const text = await TestClient.login(server.port, 'user1');
    const c = await IrcLibClient.connect(irc, { nick: 'user3', account: { account: 'user3', password: 'user3p' } });
    await c.waitLine(/^:irc\.test 366 user3 #lobby :End of \/NAMES list$/);
    assert.ok(c.lines.some((l) => l === ':irc.test 903 user3 :SASL authentication successful'));
    for (const code of ['001', '002', '003', '004', '005', '251', '252', '253', '254', '255', '265', '266', '375', '372', '376']) {
      assert.ok(c.lines.some((l) => l.startsWith(`:irc.test ${code} user3 `)), `${code} missing`);
    }
    assert.ok(c.lines.some((l) => /^(@time=\S+ )?:user3!user3@irc\.test JOIN #lobby$/.test(l)));
    // irc-framework asks for userhost-in-names: the names come as nick!user@host.
    assert.ok(c.lines.some((l) => l === ':irc.test 353 user3 = #lobby :user1!user1@irc.test user3!user3@irc.test'), c.lines.join('\n'));
    assert.ok(c.lines.every((l) => !l.startsWith(':') || l.startsWith(':irc.test ') || /^:\w+!\w+@irc\.test /.test(l)));
    await text.waitFor('user3 joined the chat.\n');
    await server.waitForLog(/^\[CONNECTED\] user3 from \('127\.0\.0\.1', \d+\)$/);
    c.quit();
    await text.waitFor('user3 left the chat.\n');
    text.destroy();
  }));

test('registration with PASS (irc-framework without SASL, and raw PASS account:password under another nick)', () =>
  withIrc([], async (_server, irc) => {
    const c = await IrcLibClient.connect(irc, { nick: 'user2', password: 'user2p', account: {} });
    assert.ok(!c.lines.some((l) => / 90[03] /.test(l)), 'no SASL was used');
    await c.waitLine(/ 366 user2 #lobby /);
    const raw = await TestClient.connect(irc);
    raw.send('PASS user4:user4p\r\nNICK someone\r\nUSER x 0 * :x\r\n');
    // The nick is the account name: 001 names user4.
    await raw.waitFor(':irc.test 001 user4 :');
    await raw.waitFor(' 366 user4 #lobby :End of /NAMES list\r\n');
    c.quit();
    raw.destroy();
  }));

test('wrong password: 464 and ERROR with PASS, 904 with SASL; both logged as AUTH FAILED', () =>
  withIrc([], async (server, irc) => {
    const pass = await TestClient.connect(irc);
    pass.send('PASS nope\r\nNICK user2\r\nUSER u 0 * :u\r\n');
    await pass.waitFor(':irc.test 464 user2 :Password incorrect\r\nERROR :Closing link: Invalid credentials\r\n');
    await pass.waitClosed();
    const sasl = await TestClient.connect(irc);
    sasl.send('CAP LS 302\r\nNICK user2\r\nUSER u 0 * :u\r\nCAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n');
    await sasl.waitFor('AUTHENTICATE +\r\n');
    sasl.send(`AUTHENTICATE ${Buffer.from('\0user2\0wrong').toString('base64')}\r\n`);
    await sasl.waitFor(':irc.test 904 user2 :SASL authentication failed\r\n');
    // Not registered yet: CAP negotiation has not ended.
    assert.ok(!sasl.text.includes(' 001 '));
    sasl.send('AUTHENTICATE PLAIN\r\n');
    await sasl.waitFor('AUTHENTICATE +\r\n', 10_000, sasl.text.indexOf(' 904 '));
    sasl.send(`AUTHENTICATE ${Buffer.from('user2\0user2\0user2p').toString('base64')}\r\nCAP END\r\n`);
    await sasl.waitFor(':irc.test 903 user2 :SASL authentication successful\r\n');
    await sasl.waitFor(':irc.test 001 user2 :');
    assert.equal(server.lines.filter((l) => /^\[AUTH FAILED\] user2 /.test(l)).length, 2);
    sasl.destroy();
  }));

/** Sends `lines` and checks that exactly `expected` (which ends in the last line awaited) came back. */
async function exchange(c: TestClient, lines: string, expected: string): Promise<void> {
  const from = c.text.length;
  c.send(lines);
  const before = expected.lastIndexOf('\r\n', expected.length - 3);
  const end = await c.waitFor(expected.slice(before < 0 ? 0 : before + 2), undefined, from);
  assert.equal(c.text.slice(from, end), expected);
}

test('SASL PLAIN step by step: 904 without the cap, 908 for another mechanism, 906 on abort, 905 past 1200 bytes, 400-byte chunks ended by + or a shorter one, then 907', () =>
  withIrc(['--auth', 'open'], async (_server, irc) => {
    const c = await TestClient.connect(irc);
    await exchange(c, 'AUTHENTICATE PLAIN\r\n', ':irc.test 904 * :SASL authentication failed\r\n');
    await exchange(c, 'CAP REQ :sasl\r\n', ':irc.test CAP * ACK :sasl\r\n');
    await exchange(c, 'AUTHENTICATE EXTERNAL\r\n', ':irc.test 908 * PLAIN :are available SASL mechanisms\r\n:irc.test 904 * :SASL authentication failed\r\n');
    await exchange(c, 'AUTHENTICATE PLAIN\r\nAUTHENTICATE *\r\n', 'AUTHENTICATE +\r\n:irc.test 906 * :SASL authentication aborted\r\n');
    const chunk = 'A'.repeat(400);
    await exchange(c, `AUTHENTICATE PLAIN\r\n${`AUTHENTICATE ${chunk}\r\n`.repeat(4)}`, 'AUTHENTICATE +\r\n:irc.test 905 * :SASL message too long\r\n');
    // 300 bytes are exactly 400 base64 characters: nothing answers the chunk, `+` ends the payload.
    const exact = Buffer.from(`\0sasl1\0${'x'.repeat(293)}`).toString('base64');
    assert.equal(exact.length, 400);
    await exchange(c, `AUTHENTICATE PLAIN\r\nAUTHENTICATE ${exact}\r\nAUTHENTICATE +\r\n`, 'AUTHENTICATE +\r\n:irc.test 900 * sasl1!sasl1@irc.test sasl1 :You are now logged in as sasl1\r\n:irc.test 903 * :SASL authentication successful\r\n');
    await exchange(c, 'AUTHENTICATE PLAIN\r\n', ':irc.test 907 * :You have already authenticated using SASL\r\n');
    c.send('NICK someone\r\nUSER u 0 * :u\r\nCAP END\r\n');
    await c.waitFor(' 366 sasl1 #lobby :End of /NAMES list\r\n');
    // A payload of 400 characters and 12 more: the shorter chunk ends it.
    const d = await TestClient.connect(irc);
    const long = Buffer.from(`\0sasl2\0${'x'.repeat(300)}`).toString('base64');
    assert.equal(long.length, 412);
    await exchange(d, `CAP REQ sasl\r\nAUTHENTICATE PLAIN\r\nAUTHENTICATE ${long.slice(0, 400)}\r\nAUTHENTICATE ${long.slice(400)}\r\n`, ':irc.test CAP * ACK :sasl\r\nAUTHENTICATE +\r\n:irc.test 900 * sasl2!sasl2@irc.test sasl2 :You are now logged in as sasl2\r\n:irc.test 903 * :SASL authentication successful\r\n');
    c.destroy();
    d.destroy();
  }));

test('a nick online on another protocol gets 433, at NICK and at registration; before registration other commands get 451', () =>
  withIrc([], async (server, irc) => {
    const text = await TestClient.login(server.port, 'user1');
    const c = await TestClient.connect(irc);
    c.send('JOIN :\r\nPRIVMSG #lobby :hi\r\nNICK user1\r\n');
    await c.waitFor(':irc.test 451 * :You have not registered\r\n:irc.test 451 * :You have not registered\r\n:irc.test 433 * user1 :Nickname is already in use\r\n');
    // PASS account:password names the account whatever the nick: the claim at registration refuses it.
    c.send('PASS user1:user1p\r\nNICK other\r\nUSER u 0 * :u\r\n');
    await c.waitFor(':irc.test 433 other user1 :Nickname is already in use\r\nERROR :Closing link: Nickname is already in use\r\n');
    await c.waitClosed();
    await server.waitForLog(/^\[DUPLICATE LOGIN\] user1$/);
    // And the other way: a text login of a name an IRC user has.
    const i = await rawIrc(irc, 'user2');
    const dup = await TestClient.connect(server.port);
    dup.send('user2\nuser2p\n');
    await dup.waitFor('Username already logged in. Connection closed.\n');
    text.destroy();
    i.destroy();
  }));

test('chat both ways with a text user: channel messages, actions, private messages, joins and parts, topics', () =>
  withIrc([], async (server, irc) => {
    const text = await TestClient.login(server.port, 'user1');
    const c = await IrcLibClient.connect(irc, { nick: 'user3', account: { account: 'user3', password: 'user3p' } });
    await text.waitFor('user3 joined the chat.\n');

    c.client.say('#lobby', 'hello from irc');
    await text.waitFor('user3: hello from irc\n');
    c.client.action('#lobby', 'waves');
    await text.waitFor('* user3 waves\n');
    text.send('hello from the terminal\n');
    const m = await c.waitMessage((e) => e.type === 'privmsg' && e.message === 'hello from the terminal');
    assert.equal(m.nick, 'user1');
    assert.equal(m.target, '#lobby');
    text.send('/me nods\n');
    await c.waitMessage((e) => e.type === 'action' && e.message === 'nods' && e.nick === 'user1');

    c.client.say('user1', 'psst');
    await text.waitFor('[PRIVATE] user3: psst\n');
    text.send('@user3 back to you\n');
    const p = await c.waitMessage((e) => e.message === 'back to you');
    assert.equal(p.target, 'user3');

    // Channels are rooms: IRC JOIN #dev and the text protocol's /join dev meet in one room.
    c.client.join('#dev');
    await c.waitLine(/ 366 user3 #dev :End of \/NAMES list$/);
    text.send('/join dev\n');
    await c.waitLine(/:user1!user1@irc\.test PART #lobby$/);
    await c.waitLine(/:user1!user1@irc\.test JOIN #dev$/);
    c.client.say('#dev', 'in dev');
    await text.waitFor('user3: in dev\n');
    c.client.raw('TOPIC #dev :release friday');
    await text.waitFor('[TOPIC] user3 set the topic of dev: release friday\n');
    await c.waitLine(/:user3!user3@irc\.test TOPIC #dev :release friday$/);
    text.send('/topic release monday\n');
    await c.waitLine(/:user1!user1@irc\.test TOPIC #dev :release monday$/);
    c.client.raw('TOPIC #dev');
    await c.waitLine(/^:irc\.test 332 user3 #dev :release monday$/);
    await c.waitLine(/^:irc\.test 333 user3 #dev user1 \d+$/);
    c.client.part('#dev');
    await text.waitFor('user3 left room dev.\n');
    c.client.raw('PRIVMSG #dev :gone');
    await c.waitLine(/^:irc\.test 403 user3 #dev :No such channel$|^:irc\.test 404 user3 #dev :Cannot send to channel$/);

    // One QUIT per neighbour, however many rooms they share.
    text.send('/join lobby\n');
    await c.waitLine(/:user1!user1@irc\.test JOIN #lobby$/);
    text.send('exit\n');
    await c.waitLine(/:user1!user1@irc\.test QUIT /);
    c.quit();
    await c.waitClosed();
  }));

test('queries and errors: WHOIS, WHO, NAMES, LIST, MODE, AWAY with 301, ISON, USERHOST, 421, 461, 401', () =>
  withIrc([], async (_server, irc) => {
    const a = await rawIrc(irc, 'user1');
    const b = await rawIrc(irc, 'user2');
    const ask = async (c: TestClient, line: string, until: RegExp): Promise<string> => {
      const from = c.text.length;
      c.send(`${line}\r\n`);
      await c.waitFor(until, 10_000, from);
      return c.text.slice(from);
    };
    assert.match(await ask(a, 'AWAY :lunch', / 306 /), /:irc\.test 306 user1 :You have been marked as being away\r\n$/);
    assert.match(await ask(b, 'PRIVMSG user1 :are you there', / 301 /), /:irc\.test 301 user2 user1 :lunch\r\n/);
    const whois = await ask(b, 'WHOIS user1', / 318 /);
    for (const re of [/ 311 user2 user1 user1 irc\.test \* :user1\r\n/, / 319 user2 user1 :#lobby\r\n/, / 312 user2 user1 irc\.test :/, / 301 user2 user1 :lunch\r\n/, / 317 user2 user1 \d+ \d+ :seconds idle, signon time\r\n/]) assert.match(whois, re);
    assert.match(await ask(b, 'WHO #lobby', / 315 /), / 352 user2 #lobby user1 irc\.test irc\.test user1 G :0 user1\r\n[^]* 315 user2 #lobby :End of WHO list\r\n/);
    assert.match(await ask(a, 'AWAY', / 305 /), / 305 user1 :You are no longer marked as being away\r\n/);
    assert.match(await ask(b, 'NAMES #lobby', / 366 /), / 353 user2 = #lobby :user1 user2\r\n/);
    assert.match(await ask(b, 'LIST', / 323 /), / 321 user2 Channel :Users {2}Name\r\n.* 322 user2 #lobby 2 :\r\n.* 323 user2 :End of \/LIST\r\n/s);
    assert.match(await ask(b, 'MODE #lobby', / 329 /), / 324 user2 #lobby \+\r\n.* 329 user2 #lobby \d+\r\n/s);
    assert.match(await ask(b, 'MODE #lobby b', / 368 /), / 368 user2 #lobby :End of channel ban list\r\n/);
    assert.match(await ask(b, 'MODE #lobby +o user1', / 482 /), / 482 user2 #lobby :You're not channel operator\r\n/);
    assert.match(await ask(b, 'MODE user2', / 221 /), / 221 user2 \+i\r\n/);
    assert.match(await ask(b, 'MODE user1 +i', / 502 /), / 502 user2 :/);
    assert.match(await ask(b, 'ISON user1 nobody user2', / 303 /), / 303 user2 :user1 user2\r\n/);
    assert.match(await ask(b, 'USERHOST user1', / 302 /), / 302 user2 :user1=\+user1@irc\.test\r\n/);
    assert.match(await ask(b, 'FROB x y', / 421 /), /^:irc\.test 421 user2 FROB :Unknown command\r\n$/);
    assert.match(await ask(b, 'JOIN', / 461 /), / 461 user2 JOIN :Not enough parameters\r\n/);
    assert.match(await ask(b, 'PRIVMSG nobody :x', / 401 /), / 401 user2 nobody :No such nick\/channel\r\n/);
    assert.match(await ask(b, 'PRIVMSG', / 411 /), / 411 user2 :No recipient given \(PRIVMSG\)\r\n/);
    assert.match(await ask(b, 'PRIVMSG #lobby', / 412 /), / 412 user2 :No text to send\r\n/);
    assert.match(await ask(b, 'PART #nowhere', / 403 /), / 403 user2 #nowhere :No such channel\r\n/);
    assert.match(await ask(b, 'JOIN bad', / 403 /), / 403 user2 bad :No such channel\r\n/);
    assert.match(await ask(b, 'USER again 0 * :x', / 462 /), / 462 user2 :You may not reregister\r\n/);
    assert.match(await ask(b, 'VERSION', / 351 /), / 351 user2 chatd-\S+ irc\.test :/);
    assert.match(await ask(b, 'TIME', / 391 /), / 391 user2 irc\.test :/);
    assert.match(await ask(b, 'PING :tok', /PONG/), /^:irc\.test PONG irc\.test tok\r\n$/);
    assert.match(await ask(b, 'QUIT :done', /ERROR/), /ERROR :Closing link: Quit: done\r\n/);
    await b.waitClosed();
    await a.waitFor(':user2!user2@irc.test QUIT ');
    a.destroy();
  }));

test('flood control counts IRC commands (refused with a notice over the burst); PING is exempt', () =>
  withIrc(['--flood-rate', '1', '--flood-burst', '3', '--flood-policy', 'reject'], async (server, irc) => {
    const text = await TestClient.login(server.port, 'user1');
    const c = await rawIrc(irc, 'user3');
    c.send(Array.from({ length: 10 }, (_, i) => `PRIVMSG #lobby :m${i}\r\n`).join('') + 'PING :still-here\r\n');
    await c.waitFor(/NOTICE user3 :You are sending too fast \(limit 1 commands per second\)/);
    await c.waitFor(':irc.test PONG irc.test still-here\r\n');
    await text.waitFor('user3: m2\n');
    assert.ok(!text.text.includes('user3: m9'), 'commands over the burst were refused');
    assert.equal(c.text.split('sending too fast').length - 1, 1, 'one notice per run');
    text.destroy();
    c.destroy();
  }));

test('--overflow disconnect: a slow IRC client gets ERROR :SendQ exceeded and is closed; the room sees a QUIT', () =>
  withIrc(['--flood-rate', '0', '--queue-size', '3', '--slow', 'user2=300', '--overflow', 'disconnect', '--log-messages', 'off'], async (server, irc) => {
    const slow = await rawIrc(irc, 'user2');
    const watcher = await rawIrc(irc, 'user3');
    const sender = await TestClient.login(server.port, 'user1');
    await slow.waitFor(':user1!user1@irc.test JOIN #lobby\r\n');
    await watcher.waitFor(':user1!user1@irc.test JOIN #lobby\r\n');
    sender.send(Array.from({ length: 10 }, (_, i) => `m${i}\n`).join(''));
    await slow.waitFor('ERROR :SendQ exceeded\r\n');
    await slow.waitClosed();
    await server.waitForLog(/^\[DISCONNECTED\] user2 \(SENDQ_EXCEEDED\)$/);
    await watcher.waitFor(':user2!user2@irc.test QUIT ');
    await sender.waitFor('user2 left the chat.\n');
    for (const c of [watcher, sender]) c.destroy();
  }));

test('garbage: NUL bytes, binary, a missing trailing param, an over-long line and 10 MB without a newline get numerics, never a crash; others are unaffected', () =>
  withIrc([], async (server, irc) => {
    const other = await rawIrc(irc, 'user1');
    const c = await rawIrc(irc, 'user2');
    c.send(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x50, 0x52, 0x49, 0x56, 0x4d, 0x53, 0x47, 0x00, 0x0d, 0x0a]));
    await c.waitFor(/ 421 user2 \S+ :Unknown command\r\n/);
    c.send('PRIVMSG #lobby\r\nTOPIC\r\n:only-a-source\r\n@only=tags\r\n');
    await c.waitFor(' 461 user2 TOPIC :Not enough parameters\r\n');
    c.send(`PRIVMSG #lobby :${'x'.repeat(600)}\r\n`);
    await c.waitFor(':irc.test 417 user2 :Input line was too long\r\n');
    const from = c.text.length;
    const mb = Buffer.alloc(1024 * 1024, 0x41);
    for (let i = 0; i < 10; i++) c.send(mb);
    c.send('\r\nPING :after\r\n');
    await c.waitFor(':irc.test PONG irc.test after\r\n', 30_000, from);
    assert.equal(c.text.slice(from).split(' 417 ').length - 1, 1, 'one 417 for the one long line');
    other.send('PING :fine\r\n');
    await other.waitFor(':irc.test PONG irc.test fine\r\n');
    assert.ok(!other.text.includes('xxxx'));
    c.destroy();
    other.destroy();
    assert.ok(!server.lines.some((l) => l.startsWith('[ERROR]')), server.lines.join('\n'));
  }));

test('server-time and echo-message: tagged events for the client that asked, untagged for the one that did not', () =>
  withIrc([], async (_server, irc) => {
    const timed = await rawIrc(irc, 'user1', 'user1p', ['server-time', 'echo-message']);
    const plain = await rawIrc(irc, 'user2');
    timed.send('PRIVMSG #lobby :stamped\r\n');
    await timed.waitFor(/@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :user1!user1@irc\.test PRIVMSG #lobby stamped\r\n/);
    await plain.waitFor('\n:user1!user1@irc.test PRIVMSG #lobby stamped\r\n');
    plain.send('PRIVMSG #lobby :hi\r\n');
    await timed.waitFor(/@time=\S+ :user2!user2@irc\.test PRIVMSG #lobby hi\r\n/);
    assert.ok(!plain.text.includes('@time='));
    timed.send('CAP REQ :-server-time\r\n');
    await timed.waitFor(':irc.test CAP user1 NAK :-server-time\r\n');
    timed.destroy();
    plain.destroy();
  }));

test('IRC over TLS (--irc-tls-port): an IRC client registers and talks with a plain text user', async () => {
  const cert = makeCert();
  after(() => cert.remove());
  await withIrc(['--irc-tls-port', '0', '--tls-cert', cert.cert, '--tls-key', cert.key], async (server) => {
    const banner = await server.waitForLog(/^IRC over TLS on 127\.0\.0\.1:\d+$/);
    const socket = tlsConnect({ port: Number(/:(\d+)$/.exec(banner)![1]), host: '127.0.0.1', servername: 'localhost', ca: [readFileSync(cert.cert)] });
    await once(socket, 'secureConnect');
    const secure = TestClient.wrap(socket);
    const text = await TestClient.login(server.port, 'user1');
    secure.send('PASS user2p\r\nNICK user2\r\nUSER u 0 * :u\r\n');
    await secure.waitFor(':irc.test 366 user2 #lobby :End of /NAMES list\r\n');
    secure.send('PRIVMSG #lobby :over tls\r\n');
    await text.waitFor('user2: over tls\n');
    secure.destroy();
    text.destroy();
  });
});

test('before registration there is no outbox: a client that sends commands and never reads is closed at the byte bound, not buffered for', () =>
  withIrc([], async (server, irc) => {
    const c = await TestClient.connect(irc);
    let reset = false;
    c.socket.once('error', () => (reset = true));
    c.socket.pause();
    // 20 MB of unknown commands (each answered with a 421) while reading nothing. When the write
    // has gone out, the server has read most of it: far more answers than any socket buffer holds.
    await new Promise<void>((resolve) => c.socket.write('FOO\r\n'.repeat(4_000_000), () => resolve()));
    c.socket.resume();
    await c.waitClosed(30_000);
    // Read in time, the last line is the ERROR; a reader later than the server's linger gets a reset.
    if (!reset) assert.ok(c.text.endsWith('ERROR :Closing link: SendQ exceeded\r\n'), c.text.slice(-200));
    const other = await rawIrc(irc, 'user1');
    other.destroy();
    assert.ok(!server.lines.some((l) => l.startsWith('[ERROR]')));
  }));
