import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type StartOptions } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { rawIrc } from '../helpers/irc-client.js';
import { WsTestClient } from '../helpers/ws-client.js';
import { metric, startWithMetrics } from '../helpers/metrics.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import type { ServerMessage } from '../../src/protocols/ws/messages.js';

// Room lines the store could not write, with real failures: SQLite under `ulimit -f` (the WAL
// cannot grow: EFBIG, which stops root too; Node ignores SIGXFSZ) and Redis at a tiny maxmemory
// with noeviction (OOM). The lines are delivered live; each sender is told once per failure
// streak, in their own protocol, and again when saving works.

const UNSAVED = /Your messages are being delivered but not saved to history: the store cannot write \(([^)]+)\)\./;
const SAVED_AGAIN = 'Your messages are being saved to history again.';

/** A server with text, IRC and web listeners and /metrics, and one user of each protocol in #lobby. */
async function chatOfThree(args: string[], opts: StartOptions = {}) {
  const { server, port: metrics } = await startWithMetrics(['--irc-port', '0', '--http-port', '0', '--server-name', 'irc.test', '--notice-delay', '0', '--flood-rate', '0', ...args], {}, opts);
  const web = Number(/:(\d+)\/$/.exec(await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/))![1]);
  const ircPort = Number(/:(\d+) /.exec(await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /))![1]);
  const irc = await rawIrc(ircPort, 'user2');
  const ws = await WsTestClient.login(web, 'user3');
  // The text user last: the others are in #lobby already and get all it says there.
  const text = await TestClient.login(server.port, 'user1');
  return { server, metrics, irc, ws, text };
}

type Chat = Awaited<ReturnType<typeof chatOfThree>>;

function unsavedCauses(received: string): string[] {
  return [...received.matchAll(new RegExp(UNSAVED.source, 'g'))].map((m) => m[1]!);
}

const wsNotices = (c: WsTestClient): string[] => c.frames.flatMap((f: ServerMessage) => (f.type === 'notice' ? [f.text] : []));

/** Sends `line` as the text user and waits until the IRC user has it: that turn's batch was tried. */
async function say(chat: Chat, line: string): Promise<void> {
  chat.text.send(`${line}\n`);
  await chat.irc.waitFor(`PRIVMSG #lobby :${line}\r\n`);
}

/**
 * Everything the server queued for the text user before this call is in `text.text` once this
 * returns: a reply to a later command comes after it on the same connection.
 */
async function settled(chat: Chat): Promise<void> {
  const from = chat.text.text.length;
  chat.text.send('/who\n');
  await chat.text.waitFor('[SERVER] Online (3)', undefined, from);
}

function close(chat: Chat): void {
  chat.irc.destroy();
  chat.ws.close();
  chat.text.destroy();
}

/**
 * A --data-dir whose database exists and holds one line, written by a server that then stopped
 * (which checkpoints the WAL and deletes it). A server started on it under `ulimit -f 4` KiB reads
 * it but cannot write a single WAL frame (a 32-byte header and a 4 KiB page already pass 4096
 * bytes): a full disk from the first line on, whatever the schema's size.
 */
async function fullDisk(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-full-'));
  const server = await startServer(['--data-dir', dir]);
  try {
    const c = await TestClient.login(server.port, 'user1');
    c.send('saved before the disk filled\n/history 1\n');
    await c.waitFor('] user1: saved before the disk filled\n');
    c.destroy();
  } finally {
    await server.stop();
  }
  return dir;
}

test('sqlite, disk full: lines are still delivered, each sender is told once in their own protocol, a sender who left is skipped, /metrics counts them', async () => {
  const dir = await fullDisk();
  const chat = await chatOfThree(['--data-dir', dir], { fileSizeLimitKiB: 4 });
  const { server, text, irc, ws } = chat;
  try {
    for (let i = 0; i < 20; i++) text.send(`lost ${i}\n`);
    await irc.waitFor('PRIVMSG #lobby :lost 19\r\n');
    for (let i = 0; i < 20; i++) assert.ok(irc.text.includes(`PRIVMSG #lobby :lost ${i}\r\n`), `line ${i} was delivered live`);
    await text.waitFor(UNSAVED);
    await server.waitForLog(/^\[STORE\] could not write \d+ history entries: /);

    // The other two senders hit the same full disk: each told once, in their protocol's words.
    irc.send('PRIVMSG #lobby :from irc\r\n');
    await irc.waitFor(/:irc\.test NOTICE \* :Your messages are being delivered but not saved to history: the store cannot write \((I\/O error|disk full)\)\.\r\n/);
    ws.send({ type: 'say', room: 'lobby', text: 'from the web' });
    await ws.until(() => wsNotices(ws).some((t) => UNSAVED.test(t)), () => JSON.stringify(ws.frames));
    await text.waitFor('user3: from the web\n');

    // Still failing: no second notice for anyone.
    await say(chat, 'still not saved');
    irc.send('PRIVMSG #lobby :irc again\r\n');
    await text.waitFor('user2: irc again\n');
    ws.send({ type: 'say', room: 'lobby', text: 'web again' });
    await text.waitFor('user3: web again\n');
    await settled(chat);
    const causes = unsavedCauses(text.text);
    assert.equal(causes.length, 1, text.text);
    // EFBIG reaches SQLite as an I/O error (it keeps no errno); a real full disk says so.
    assert.match(causes[0]!, /^(I\/O error|disk full)$/);
    assert.equal(unsavedCauses(irc.text).length, 1);
    await irc.waitFor('PRIVMSG #lobby :web again\r\n');
    assert.equal(wsNotices(ws).filter((t) => UNSAVED.test(t)).length, 1);

    // user4's line and exit come in one read: it has left when the batch fails, and is skipped;
    // its next session is a new sender, told at its first lost line.
    const gone = await TestClient.login(server.port, 'user4');
    gone.send('said while leaving\nexit\n');
    await gone.ended;
    await irc.waitFor('PRIVMSG #lobby :said while leaving\r\n');
    assert.equal(unsavedCauses(gone.text).length, 0, gone.text);
    const back = await TestClient.login(server.port, 'user4');
    back.send('back again\n');
    await back.waitFor(UNSAVED);

    // History has the line from before and none of the lost ones; /metrics counts the lost lines.
    const at = text.text.length;
    text.send('/history 1000\n');
    await text.waitFor('[SERVER] End of history.\n', undefined, at);
    const history = text.text.slice(at).split('\n').filter((l) => l.startsWith('[HISTORY '));
    assert.equal(history.length, 1, history.join('\n'));
    assert.match(history[0]!, /\] user1: saved before the disk filled$/);
    const unsaved = await metric(chat.metrics, 'chat_history_unsaved_total{store="sqlite"}');
    assert.equal(unsaved, 27, 'lost 0-19, from irc, from the web, still not saved, irc again, web again, said while leaving, back again');
    back.destroy();
    close(chat);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

const NO_REDIS = hasRedis() ? undefined : 'redis-server is not installed (.ci/run installs it)';
const redis = NO_REDIS === undefined ? await startRedis() : undefined;
after(async () => {
  await redis?.stop();
});

test('redis: out of memory (maxmemory, noeviction): senders told once, lines delivered, and told again when saving works', { skip: NO_REDIS }, async () => {
  redis!.cli('FLUSHALL');
  const chat = await chatOfThree(['--redis', redis!.url]);
  const { server, text, irc, ws } = chat;
  try {
    await say(chat, 'saved first');
    redis!.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    redis!.cli('CONFIG', 'SET', 'maxmemory', '1');
    await say(chat, 'lost one');
    await text.waitFor(UNSAVED);
    await say(chat, 'lost two');
    irc.send('PRIVMSG #lobby :lost from irc\r\n');
    await irc.waitFor(':irc.test NOTICE * :Your messages are being delivered but not saved to history: the store cannot write (out of memory).\r\n');
    ws.send({ type: 'say', room: 'lobby', text: 'lost from the web' });
    await text.waitFor('user3: lost from the web\n');
    await ws.until(() => wsNotices(ws).includes('Your messages are being delivered but not saved to history: the store cannot write (out of memory).'), () => JSON.stringify(ws.frames));
    await settled(chat);
    assert.deepEqual(unsavedCauses(text.text), ['out of memory'], 'told once for two lost lines');
    assert.equal(await metric(chat.metrics, 'chat_history_unsaved_total{store="redis"}'), 4);

    redis!.cli('CONFIG', 'SET', 'maxmemory', '0');
    await say(chat, 'saved again');
    // Everyone told of the streak hears that it ended, once.
    await text.waitFor(`[SERVER] ${SAVED_AGAIN}\n`);
    await irc.waitFor(`:irc.test NOTICE * :${SAVED_AGAIN}\r\n`);
    await ws.until(() => wsNotices(ws).includes(SAVED_AGAIN), () => JSON.stringify(ws.frames));
    await say(chat, 'saved too');
    await settled(chat);
    assert.equal(text.text.split(SAVED_AGAIN).length - 1, 1);

    const at = text.text.length;
    text.send('/history 10\n');
    await text.waitFor('[SERVER] End of history.\n', undefined, at);
    const history = text.text.slice(at).split('\n').filter((l) => l.startsWith('[HISTORY ')).map((l) => l.replace(/^\[HISTORY [^\]]+\] /, ''));
    assert.deepEqual(history, ['user1: saved first', 'user1: saved again', 'user1: saved too']);
    close(chat);
  } finally {
    redis!.cli('CONFIG', 'SET', 'maxmemory', '0');
    await server.stop();
  }
});
