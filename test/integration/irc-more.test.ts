import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/client.js';
import { rawIrc, withIrc } from '../helpers/irc-client.js';

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
