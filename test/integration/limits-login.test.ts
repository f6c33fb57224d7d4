import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WAIT_MS } from '../helpers/wait.js';

/**
 * One login attempt from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo), for the
 * per-address rules. Resolves with everything the server sent up to the welcome or the close.
 */
async function loginFrom(port: number, localAddress: string, user: string, password: string): Promise<string> {
  const c = await TestClient.connect(port, '127.0.0.1', localAddress);
  try {
    await c.waitFor('Enter username: ');
    c.send(`${user}\n`);
    await c.waitFor('Enter password: ');
    c.send(`${password}\n`);
    await c.waitFor(/Welcome .*\n|Connection closed\.\n/);
    return c.text;
  } finally {
    c.destroy();
  }
}

/** True when this host lets a socket bind 127.0.0.2 (Linux does; some systems only have 127.0.0.1). */
async function canBindLoopbackAlias(port: number): Promise<boolean> {
  try {
    (await TestClient.connect(port, '127.0.0.1', '127.0.0.2')).destroy();
    return true;
  } catch {
    return false;
  }
}

test('a connection that has not logged in within --login-timeout is told so and closed; logged-in users stay', async () => {
  // 3 s, not 1: user1's own login (a password hash on a busy machine) must finish within it.
  const server = await startServer(['--login-timeout', '3']);
  try {
    const user = await TestClient.login(server.port, 'user1');
    const silent = await TestClient.connect(server.port);
    const typing = await TestClient.connect(server.port);
    await typing.waitFor('Enter username: ');
    typing.send('user2\n');
    await typing.waitFor('Enter password: ');
    for (const c of [silent, typing]) {
      await c.waitFor('Login timed out. Connection closed.\n');
      await c.waitClosed();
    }
    user.send('/who\n');
    await user.waitFor('[SERVER] Online (1): user1 (lobby)\n');
    user.close();
  } finally {
    await server.stop();
  }
});

test('usernames: 1-32 letters, digits, _ and -; anything else gets a clear error; three bad names close', async () => {
  const server = await startServer(['--auth', 'open']);
  try {
    const longest = 'A_b-9'.repeat(6) + 'zz';
    assert.equal(longest.length, 32);
    const ok = await TestClient.login(server.port, longest, 'anything');
    ok.close();

    const c = await TestClient.connect(server.port);
    let at = await c.waitFor('Enter username: ');
    const bad: Array<[string, RegExp]> = [
      ['x'.repeat(33), /Invalid username: Name is longer than 32 characters\. Usernames are 1-32 letters, digits, _ or -\.\nEnter username: $/],
      ['bad name', /Invalid username: Name may contain only letters, digits, _ and -\. Usernames are 1-32 letters, digits, _ or -\.\nEnter username: $/],
    ];
    for (const [name, want] of bad) {
      c.send(`${name}\n`);
      const from = at;
      at = await c.waitFor('Enter username: ', WAIT_MS, at);
      assert.match(c.text.slice(from, at), want);
    }
    c.send('\x1b[2Jüser\n');
    await c.waitFor(/Invalid username: Name may contain only letters, digits, _ and -\. Connection closed\.\n$/, WAIT_MS, at);
    await c.waitClosed();
    assert.ok(!c.text.includes('\x1b'), 'the bad name is not echoed back');
  } finally {
    await server.stop();
  }
});

test('failed logins are throttled per address, across reconnects, with a clear message and an [AUTH THROTTLED] log line', async (t) => {
  const server = await startServer();
  try {
    for (let i = 0; i < 5; i++) {
      const text = await loginFrom(server.port, '127.0.0.1', 'user1', 'wrong');
      assert.equal(text, 'Enter username: Enter password: Invalid credentials. Connection closed.\n');
    }
    // A new connection, and the right password: still refused, without the password being checked.
    const refused = await loginFrom(server.port, '127.0.0.1', 'user1', 'user1p');
    assert.match(refused, /^Enter username: Enter password: Too many failed logins\. Try again in (\d+) seconds\. Connection closed\.\n$/);
    const seconds = Number(/in (\d+) seconds/.exec(refused)![1]);
    assert.ok(seconds > 0 && seconds <= 60);
    await server.waitForLog(/^\[AUTH THROTTLED\] user1 from \('127\.0\.0\.1', \d+\)$/);
    assert.ok(!server.lines.some((l) => l.startsWith('[CONNECTED] user1')), 'never logged in');

    if (!(await canBindLoopbackAlias(server.port))) {
      t.diagnostic('cannot bind 127.0.0.2 here: the other-address half is skipped');
      return;
    }
    const other = await loginFrom(server.port, '127.0.0.2', 'user1', 'user1p');
    assert.match(other, /Welcome user1! Type 'exit' to leave\.\n$/, 'another address is not affected');
  } finally {
    await server.stop();
  }
});

test('a burst of parallel wrong guesses from one address buys no extra tries afterwards', async (t) => {
  const server = await startServer();
  try {
    if (!(await canBindLoopbackAlias(server.port))) return t.skip('cannot bind 127.0.0.3 here');
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 30 }, () => loginFrom(server.port, '127.0.0.3', 'user2', 'wrong')));
    for (const text of burst) assert.match(text, /Invalid credentials\. Connection closed\.\n$|Too many failed logins\. Try again in \d+ seconds\. Connection closed\.\n$/);
    const after = await loginFrom(server.port, '127.0.0.3', 'user2', 'user2p');
    // The ban started after `started` and is told in whole seconds rounded up, so at most this much
    // of it can have passed (measured, not a guessed allowance: the burst can take seconds here).
    const elapsedS = (Date.now() - started) / 1000;
    const seconds = Number(/Try again in (\d+) seconds/.exec(after)?.[1] ?? 0);
    // Every guess beyond the fifth that was checked lengthened the ban.
    const checked = burst.filter((b) => b.includes('Invalid credentials')).length;
    assert.ok(checked >= 5);
    assert.ok(seconds >= 60 + (checked - 5) * 12 - elapsedS, `${checked} checked guesses, ban ${seconds} s, ${elapsedS} s after the burst began`);
  } finally {
    await server.stop();
  }
});
