import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { rawIrc } from '../helpers/irc-client.js';

// IRCv3 draft/chathistory and offline messages on the IRC listener, over real sockets: one server
// with --data-dir (SQLite history, offline messages kept), text users writing, IRC users asking.

const CAPS = ['batch', 'draft/chathistory', 'server-time', 'message-tags'];
const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const UTC = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';

let server: ServerProc;
let irc = 0;
let dir = '';
let writer: TestClient;
/** An IRC user with batch, draft/chathistory, server-time and message-tags. */
let reader: TestClient;
/** The times of the six distinct lines, in order: d1 d2 d3 d4, the action, the topic. */
let times: string[] = [];
let pings = 0;

/** QUIT, and resolves once the server closed the connection (the nick is free again). */
async function quit(c: TestClient): Promise<void> {
  c.send('QUIT\r\n');
  await c.waitClosed();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends `command`, then a PING: resolves with every line the server sent before the PONG. */
async function ask(c: TestClient, command: string): Promise<string[]> {
  const token = `done${++pings}`;
  const from = c.text.length;
  c.send(`${command}\r\nPING :${token}\r\n`);
  const end = await c.waitFor(new RegExp(`:irc\\.test PONG irc\\.test :?${token}\\r\\n`), 10_000, from);
  const lines = c.text.slice(from, end).split('\r\n').filter((l) => l !== '');
  // Other users' JOIN, PART and QUIT (independent events from other tests) may arrive in between:
  // they are not part of the answer.
  return lines.slice(0, -1).filter((l) => !/^(@\S+ )?:\S+![^ ]+ (JOIN|PART|QUIT) /.test(l));
}

/** The lines of one chathistory batch (checked to be one, for #lobby), without the tags. */
function batch(lines: readonly string[]): string[] {
  const id = /^:irc\.test BATCH \+(\S+) chathistory #lobby$/.exec(lines[0] ?? '')?.[1];
  assert.ok(id !== undefined, lines.join('\n'));
  assert.equal(lines.at(-1), `:irc.test BATCH -${id}`);
  const inner = lines.slice(1, -1);
  for (const l of inner) assert.match(l, new RegExp(`^@time=${ISO};batch=${id} :`), l);
  return inner.map((l) => l.slice(l.indexOf(' ') + 1));
}

const said = (text: string): string => `:user1!user1@irc.test PRIVMSG #lobby :${text}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'irc-history-'));
  server = await startServer(['--irc-port', '0', '--server-name', 'irc.test', '--notice-delay', '0', '--flood-rate', '0', '--data-dir', dir]);
  const line = await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /);
  irc = Number(/:(\d+) /.exec(line)![1]);
  writer = await TestClient.login(server.port, 'user1');
  reader = await rawIrc(irc, 'user3', 'user3p', CAPS);
  // 105 lines at once, then six a few ms apart (distinct times to refer to).
  writer.send(Array.from({ length: 105 }, (_, i) => `bulk line ${i}\n`).join(''));
  await reader.waitFor(`${said('bulk line 104')}\r\n`);
  for (const text of ['line d1', 'line d2', 'line d3', 'line d4', '/me waves', '/topic New topic']) {
    await sleep(15);
    writer.send(`${text}\n`);
    await reader.waitFor(text.startsWith('/topic') ? 'TOPIC #lobby :New topic\r\n' : text.startsWith('/me') ? 'waves\x01\r\n' : `${said(text)}\r\n`);
  }
  const latest = await ask(reader, 'CHATHISTORY LATEST #lobby * 6');
  times = latest.slice(1, -1).map((l) => /^@time=(\S+);/.exec(l)![1]!);
  assert.equal(new Set(times).size, 6, latest.join('\n'));
});

after(async () => {
  writer.destroy();
  reader.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('CAP LS offers batch and draft/chathistory; 005 says CHATHISTORY=100 (min of --history and 100) and MSGREFTYPES=timestamp', () => {
  assert.match(reader.text, /^:irc\.test CAP \* LS :away-notify batch cap-notify draft\/chathistory echo-message /m);
  assert.match(reader.text, /^:irc\.test CAP \* ACK :batch draft\/chathistory server-time message-tags\r$/m);
  assert.match(reader.text, /^:irc\.test 005 user3 .* CHANTYPES=# CHATHISTORY=100 MSGREFTYPES=timestamp NETWORK=/m);
});

test('CHATHISTORY LATEST *: a chathistory batch of the newest lines, oldest first, as they were said live, with @time and @batch', async () => {
  const lines = batch(await ask(reader, 'CHATHISTORY LATEST #lobby * 3'));
  assert.deepEqual(lines, [said('line d4'), said('\x01ACTION waves\x01'), `:irc.test NOTICE #lobby :[HISTORY ${times[5]!.slice(0, 19).replace('T', ' ')}] user1 set the topic: New topic`]);
  // At most CHATHISTORY=100 lines whatever the limit asked.
  const all = batch(await ask(reader, 'CHATHISTORY LATEST #lobby * 1000'));
  assert.equal(all.length, 100);
  assert.equal(all[0], said('bulk line 11'));
  // The time tag is the line's own: the same as the live line had.
  const raw = await ask(reader, 'CHATHISTORY LATEST #lobby * 1');
  assert.match(raw[1]!, new RegExp(`^@time=${times[5]};batch=`));
});

test('LATEST after a time, BEFORE, AFTER, AROUND and BETWEEN (both ways) by timestamp, with limits', async () => {
  const t = (i: number): string => `timestamp=${times[i]!}`;
  const texts = async (command: string): Promise<string[]> => batch(await ask(reader, command)).map((l) => l.replace(/^:user1!user1@irc\.test PRIVMSG #lobby :/, '').replace(/^:irc\.test NOTICE #lobby :.*/, 'topic'));
  assert.deepEqual(await texts(`CHATHISTORY LATEST #lobby ${t(3)} 10`), ['\x01ACTION waves\x01', 'topic'], 'after and excluding the time');
  assert.deepEqual(await texts(`CHATHISTORY LATEST #lobby ${t(0)} 2`), ['\x01ACTION waves\x01', 'topic'], 'the latest of those');
  assert.deepEqual(await texts(`CHATHISTORY BEFORE #lobby ${t(2)} 2`), ['line d1', 'line d2']);
  assert.deepEqual(await texts(`CHATHISTORY BEFORE #lobby ${t(0)} 1`), ['bulk line 104']);
  assert.deepEqual(await texts(`CHATHISTORY AFTER #lobby ${t(0)} 2`), ['line d2', 'line d3'], 'the first lines after the time');
  assert.deepEqual(await texts(`CHATHISTORY AFTER #lobby ${t(5)} 10`), [], 'an empty batch');
  assert.deepEqual(await texts(`CHATHISTORY AROUND #lobby ${t(2)} 4`), ['line d1', 'line d2', 'line d3', 'line d4']);
  assert.deepEqual(await texts(`CHATHISTORY AROUND #lobby ${t(2)} 1`), ['line d3']);
  assert.deepEqual(await texts(`CHATHISTORY BETWEEN #lobby ${t(0)} ${t(4)} 10`), ['line d2', 'line d3', 'line d4'], 'both ends excluded');
  assert.deepEqual(await texts(`CHATHISTORY BETWEEN #lobby ${t(0)} ${t(4)} 2`), ['line d2', 'line d3'], 'counted from the first');
  assert.deepEqual(await texts(`CHATHISTORY BETWEEN #lobby ${t(4)} ${t(0)} 2`), ['line d3', 'line d4'], 'backwards in time');
  // Lower-case subcommand, a time without milliseconds.
  const bare = times[0]!.replace(/\.\d{3}Z$/, 'Z');
  assert.ok((await texts(`chathistory before #lobby timestamp=${bare} 1`)).length <= 1);
});

test('a channel not joined, a nick, or a channel that does not exist: INVALID_TARGET', async () => {
  const dev = await TestClient.login(server.port, 'user2');
  dev.send('/join dev\nsecret in dev\n');
  await dev.waitFor('[SERVER] You are now in room dev.\n');
  for (const target of ['#dev', 'user1', '#nowhere', '*']) {
    assert.deepEqual(await ask(reader, `CHATHISTORY LATEST ${target} * 10`), [`:irc.test FAIL CHATHISTORY INVALID_TARGET LATEST ${target} :Messages could not be retrieved`]);
  }
  await dev.exit();
});

test('garbage parameters: each one FAIL, no batch, and nothing changes', async () => {
  const before = await ask(reader, 'CHATHISTORY LATEST #lobby * 10');
  const cases: Array<[string, string]> = [
    ['CHATHISTORY', 'INVALID_PARAMS * :Insufficient parameters'],
    ['CHATHISTORY FROB #lobby * 10', 'INVALID_PARAMS FROB :Unknown command'],
    ['CHATHISTORY TARGETS timestamp=2026-01-01T00:00:00.000Z timestamp=2027-01-01T00:00:00.000Z 10', 'INVALID_PARAMS TARGETS :Unknown command'],
    ['CHATHISTORY LATEST #lobby *', 'INVALID_PARAMS LATEST :Insufficient parameters'],
    ['CHATHISTORY BETWEEN #lobby timestamp=2026-01-01T00:00:00.000Z 10', 'INVALID_PARAMS BETWEEN :Insufficient parameters'],
    ['CHATHISTORY LATEST #lobby * 10 more', 'INVALID_PARAMS LATEST :Too many parameters'],
    ['CHATHISTORY BEFORE #lobby * 10', 'INVALID_PARAMS BEFORE * :Invalid timestamp'],
    ['CHATHISTORY BEFORE #lobby timestamp=yesterday 10', 'INVALID_PARAMS BEFORE timestamp=yesterday :Invalid timestamp'],
    ['CHATHISTORY AFTER #lobby timestamp=2026-02-30T00:00:00.000Z 10', 'INVALID_PARAMS AFTER timestamp=2026-02-30T00:00:00.000Z :Invalid timestamp'],
    ['CHATHISTORY AFTER #lobby timestamp=2026-11-30T12:00:00.000+01:00 10', 'INVALID_PARAMS AFTER timestamp=2026-11-30T12:00:00.000+01:00 :Invalid timestamp'],
    ['CHATHISTORY AROUND #lobby 2026-11-30T12:00:00.000Z 10', 'INVALID_PARAMS AROUND 2026-11-30T12:00:00.000Z :Invalid timestamp'],
    ['CHATHISTORY LATEST #lobby * 0', 'INVALID_PARAMS LATEST 0 :Invalid limit'],
    ['CHATHISTORY LATEST #lobby * -1', 'INVALID_PARAMS LATEST -1 :Invalid limit'],
    ['CHATHISTORY LATEST #lobby * ten', 'INVALID_PARAMS LATEST ten :Invalid limit'],
    ['CHATHISTORY LATEST #lobby * 1e3', 'INVALID_PARAMS LATEST 1e3 :Invalid limit'],
    ['CHATHISTORY LATEST #lobby * 99999999999999999999', 'INVALID_PARAMS LATEST 99999999999999999999 :Invalid limit'],
    ['CHATHISTORY BEFORE #lobby msgid=abc123 10', 'INVALID_MSGREFTYPE BEFORE #lobby :msgid-based history requests are not supported'],
    ['CHATHISTORY LATEST #lobby msgid=abc123 10', 'INVALID_MSGREFTYPE LATEST #lobby :msgid-based history requests are not supported'],
    ['CHATHISTORY BETWEEN #lobby timestamp=2026-01-01T00:00:00.000Z msgid=x 10', 'INVALID_MSGREFTYPE BETWEEN #lobby :msgid-based history requests are not supported'],
    // User input echoed back can never break the line: a subcommand with a space in it.
    ['CHATHISTORY :LA TEST', 'INVALID_PARAMS LA_TEST :Unknown command'],
  ];
  for (const [command, fail] of cases) assert.deepEqual(await ask(reader, command), [`:irc.test FAIL CHATHISTORY ${fail}`], command);
  const again = await ask(reader, 'CHATHISTORY LATEST #lobby * 10');
  const untagged = (lines: string[]): string[] => lines.map((l) => l.replace(/batch=\S+/, '').replace(/[+-]\S+/, ''));
  assert.deepEqual(untagged(again), untagged(before));
  writer.send('still here\n');
  await reader.waitFor(`${said('still here')}\r\n`);
});

test('without batch and server-time: the bare lines, marked with their UTC time as /history marks them', async () => {
  const plain = await rawIrc(irc, 'user4');
  const lines = await ask(plain, 'CHATHISTORY BEFORE #lobby timestamp=' + times[5]! + ' 2');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`^:user1!user1@irc\\.test PRIVMSG #lobby :\\[HISTORY ${UTC}\\] line d4$`));
  assert.match(lines[1]!, new RegExp(`^:user1!user1@irc\\.test PRIVMSG #lobby :\\x01ACTION \\[HISTORY ${UTC}\\] waves\\x01$`));
  await quit(plain);
});

test('offline messages: a text user\'s @user4 reaches user4 after IRC registration; an IRC PRIVMSG to an offline account is kept (NOTICE) and delivered once', async () => {
  writer.send('@user4 hi there\n');
  await writer.waitFor('[SERVER] User user4 is offline; the message will be delivered when they log in.\n');
  const plain = await rawIrc(irc, 'user4');
  await plain.waitFor(new RegExp(`:user1!user1@irc\\.test PRIVMSG user4 :\\[OFFLINE ${UTC}\\] hi there\\r\\n`));
  // After the welcome and the join of #lobby.
  assert.ok(plain.text.indexOf(' 366 user4 #lobby ') < plain.text.indexOf('[OFFLINE '));
  await quit(plain);

  const sent = await ask(reader, 'PRIVMSG user2 :kept for later');
  assert.deepEqual(sent, [':irc.test NOTICE user3 :User user2 is offline; the message will be delivered when they log in.']);
  assert.deepEqual(await ask(reader, 'PRIVMSG nobody :hello'), [':irc.test 401 user3 nobody :No such nick/channel']);
  const user2 = await TestClient.login(server.port, 'user2');
  await user2.waitFor(new RegExp(`\\[OFFLINE ${UTC}\\] user3: kept for later\\n`));
  await user2.exit();
  // With server-time the kept message carries its time too; delivered once.
  writer.send('@user4 tagged\n');
  await writer.waitFor('[SERVER] User user4 is offline; the message will be delivered when they log in.\n');
  const timed = await rawIrc(irc, 'user4', 'user4p', ['server-time']);
  await timed.waitFor(new RegExp(`@time=${ISO} :user1!user1@irc\\.test PRIVMSG user4 :\\[OFFLINE ${UTC}\\] tagged\\r\\n`));
  await quit(timed);
  const again = await rawIrc(irc, 'user4', 'user4p', ['server-time']);
  await ask(again, 'MOTD');
  assert.doesNotMatch(again.text, /OFFLINE/);
  await quit(again);
});
