import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedStart, SERVER_MAIN, startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

// History and offline messages over real sockets, with the SQLite store in a fresh directory.

const TIME = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'chat-data-'));
}

test('/history replays the room oldest first, marked with UTC times, and ends with a line; joins, leaves and privates are not kept', async () => {
  const dir = tempDir();
  const server = await startServer(['--data-dir', dir]);
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    a.send('first line\n/me waves\n/topic Release on Friday\n@user2 a secret\n');
    await b.waitFor('[PRIVATE] user1: a secret\n');
    b.send('/history\n');
    const at = await b.waitFor('[SERVER] End of history.\n');
    const lines = b.text.slice(0, at).split('\n').filter((l) => l.startsWith('[HISTORY '));
    assert.equal(lines.length, 3, b.text);
    assert.match(lines[0]!, new RegExp(`^\\[HISTORY ${TIME}\\] user1: first line$`));
    assert.match(lines[1]!, new RegExp(`^\\[HISTORY ${TIME}\\] \\* user1 waves$`));
    assert.match(lines[2]!, new RegExp(`^\\[HISTORY ${TIME}\\] \\[TOPIC\\] user1 set the topic of lobby: Release on Friday$`));
    b.send('/history 1\n/history x\n');
    await b.waitFor('[SERVER] Use: /history or /history <n>\n', 10_000, at);
    assert.match(b.text.slice(at), new RegExp(`^\\[HISTORY ${TIME}\\] \\[TOPIC\\] user1 set the topic of lobby: Release on Friday\\n\\[SERVER\\] End of history\\.\\n`));
    for (const c of [a, b]) c.destroy();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--replay-on-join N: the last N lines after the welcome and after every /join (history in memory, no --data-dir)', async () => {
  const server = await startServer(['--replay-on-join', '2']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    a.send('one\ntwo\nthree\n/join dev\n');
    await a.waitFor('[SERVER] You are now in room dev.\n');
    a.send('in dev\n/join lobby\n');
    await a.waitFor(new RegExp(`You are now in room lobby\\.\\n\\[HISTORY ${TIME}\\] user1: two\\n\\[HISTORY ${TIME}\\] user1: three\\n`));
    const b = await TestClient.login(server.port, 'user2');
    await b.waitFor(new RegExp(`^Enter username: Enter password: Welcome user2! Type 'exit' to leave\\.\\n\\[HISTORY ${TIME}\\] user1: two\\n\\[HISTORY ${TIME}\\] user1: three\\n`));
    for (const c of [a, b]) c.destroy();
  } finally {
    await server.stop();
  }
});

test('offline messages: stored with a notice, delivered at the next login oldest first, once; a full box and unknown names say so; kept across a restart', async () => {
  const dir = tempDir();
  let server = await startServer(['--data-dir', dir, '--offline-limit', '2']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    a.send('@user2 first\n@user2 second\n@user2 third\n@nobody hello\n');
    await a.waitFor('[SERVER] User nobody not online.\n');
    const said = a.text.split('\n').filter((l) => l.startsWith('[SERVER] User'));
    assert.deepEqual(said, [
      '[SERVER] User user2 is offline; the message will be delivered when they log in.',
      '[SERVER] User user2 is offline; the message will be delivered when they log in.',
      '[SERVER] User user2 has too many messages waiting; yours was not stored.',
      '[SERVER] User nobody not online.',
    ]);
    a.destroy();
    await server.stop();
    server = await startServer(['--data-dir', dir, '--offline-limit', '2']);
    const b = await TestClient.login(server.port, 'user2');
    await b.waitFor(new RegExp(`Welcome user2! Type 'exit' to leave\\.\\n\\[OFFLINE ${TIME}\\] user1: first\\n\\[OFFLINE ${TIME}\\] user1: second\\n`));
    b.destroy();
    const again = await TestClient.login(server.port, 'user2');
    again.send('/who\n');
    await again.waitFor('[SERVER] Online (');
    assert.doesNotMatch(again.text, /\[OFFLINE/, 'delivered once');
    again.destroy();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without --data-dir, and for guests, a private message to someone offline gets the seed line', async () => {
  const dir = tempDir();
  const plain = await startServer();
  const guests = await startServer(['--auth', 'open', '--data-dir', dir]);
  try {
    for (const server of [plain, guests]) {
      const a = await TestClient.login(server.port, 'user1');
      a.send('@user2 hi\n');
      await a.waitFor('[SERVER] User user2 not online.\n');
      a.destroy();
    }
  } finally {
    await plain.stop();
    await guests.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL mid-traffic: every acknowledged offline message and every line a user saw is there after a restart', async () => {
  const dir = tempDir();
  let server: ServerProc = await startServer(['--data-dir', dir, '--flood-rate', '0', '--log-messages', 'off']);
  try {
    const sender = await TestClient.login(server.port, 'user1');
    const witness = await TestClient.login(server.port, 'user3');
    for (let i = 0; i < 200; i++) sender.send(`line ${i}\n@user2 kept ${i}\n`);
    // Kill once some of it has been acknowledged and seen, while the rest is still in flight.
    await sender.waitFor('[SERVER] User user2 is offline; the message will be delivered when they log in.\n');
    await witness.waitFor('user1: line 20\n');
    server.proc.kill('SIGKILL');
    await server.stop();
    await Promise.all([sender.ended, witness.ended]);
    const acked = sender.text.split('\n').filter((l) => l.startsWith('[SERVER] User user2 is offline')).length;
    const seen = witness.text.split('\n').filter((l) => /^user1: line \d+$/.test(l)).map((l) => l.slice('user1: '.length));
    assert.ok(acked > 0 && seen.length > 20);

    server = await startServer(['--data-dir', dir]);
    const user2 = await TestClient.login(server.port, 'user2');
    user2.send('/history 1000\n');
    const end = await user2.waitFor('[SERVER] End of history.\n');
    const offline = user2.text.split('\n').filter((l) => l.startsWith('[OFFLINE ')).map((l) => l.replace(/^\[OFFLINE [^\]]+\] user1: /, ''));
    assert.ok(offline.length >= acked, `${acked} acknowledged, ${offline.length} delivered`);
    assert.deepEqual(offline.slice(0, acked), Array.from({ length: acked }, (_, i) => `kept ${i}`));
    const history = user2.text.slice(0, end).split('\n').filter((l) => l.startsWith('[HISTORY ')).map((l) => l.replace(/^\[HISTORY [^\]]+\] user1: /, ''));
    for (const line of seen) assert.ok(history.includes(line), `${line} was seen by a user but is not in the history`);
    user2.destroy();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a --data-dir that cannot be used stops the start with one line: a file, a corrupt or newer database, a second server', async () => {
  const base = tempDir();
  try {
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    const corrupt = join(base, 'corrupt');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'chat.db'), 'this is not a database, not even close to one; '.repeat(40));
    const newer = join(base, 'newer');
    mkdirSync(newer);
    const made = spawnSync(process.execPath, ['-e', `const D=require('better-sqlite3');const d=new D(${JSON.stringify(join(newer, 'chat.db'))});d.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version','99')");d.close()`], { cwd: process.cwd(), encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const cases: Array<[string, RegExp]> = [
      [file, /^chat-server: cannot start: --data-dir .*a-file: not a directory\n$/],
      [corrupt, /^chat-server: cannot start: --data-dir .*corrupt: .*chat\.db is not a chat database or is corrupt\n$/],
      [newer, /^chat-server: cannot start: --data-dir .*newer: .*chat\.db was written by a newer chatd \(schema 99; this one knows 1\)\n$/],
    ];
    for (const [dir, want] of cases) {
      const { code, stderr } = await failedStart(['--data-dir', dir]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, want);
    }
    const good = join(base, 'good');
    const first = await startServer(['--data-dir', good]);
    try {
      const { code, stderr } = await failedStart(['--data-dir', good]);
      assert.equal(code, 1);
      assert.match(stderr, /^chat-server: cannot start: --data-dir .*good: another server is using .*chat\.db\n$/);
    } finally {
      await first.stop();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('history export and import: JSON Lines out, the same lines back in; garbage is refused', async () => {
  const dir = tempDir();
  const copy = tempDir();
  try {
    const server = await startServer(['--data-dir', dir]);
    const a = await TestClient.login(server.port, 'user1');
    a.send('kept line\n@user4 kept private\n');
    await a.waitFor('[SERVER] User user4 is offline; the message will be delivered when they log in.\n');
    a.destroy();
    await server.stop();
    const out = spawnSync(process.execPath, [SERVER_MAIN, 'history', 'export', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    assert.deepEqual(lines.map((l) => l['history']?.['text'] ?? l['offline']?.['text']), ['kept line', 'kept private']);
    const imported = spawnSync(process.execPath, [SERVER_MAIN, 'history', 'import', '--data-dir', copy], { input: out.stdout, encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    const back = spawnSync(process.execPath, [SERVER_MAIN, 'history', 'export', '--data-dir', copy], { encoding: 'utf8' });
    assert.equal(back.stdout, out.stdout);
    const room = spawnSync(process.execPath, [SERVER_MAIN, 'history', 'export', '--data-dir', dir, '--room', 'dev'], { encoding: 'utf8' });
    assert.equal(room.stdout, '');
    for (const garbage of ['not json', '{"history":{"room":1}}', '[]', '{"offline":{"to":"x"}}']) {
      const r = spawnSync(process.execPath, [SERVER_MAIN, 'history', 'import', '--data-dir', copy], { input: `${garbage}\n`, encoding: 'utf8' });
      assert.equal(r.status, 1, garbage);
      assert.match(r.stderr, /line 1 is not a history or offline entry/);
    }
    for (const args of [[], ['frob'], ['export'], ['export', '--data-dir'], ['export', '--data-dir', dir, '--since', 'yesterday'], ['import', '--data-dir', dir, '--room', 'x']]) {
      const r = spawnSync(process.execPath, [SERVER_MAIN, 'history', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(copy, { recursive: true, force: true });
  }
});
