import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

// Regression tests for defects a review found, on the real server over real sockets.

const MIB = 1024 * 1024;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

async function openLogin(port: number, name: string): Promise<TestClient> {
  return TestClient.login(port, name, 'any');
}

test('command output counts in the outbox bounds: clients that never read and spam /who cannot grow server memory', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const server = await startServer(['--auth', 'open', '--flood-rate', '0', '--quiet', '--drain-timeout', '0', '--max-per-ip', '1000', '--announce-limit', '1']);
  try {
    const crowd: TestClient[] = [];
    for (let i = 0; i < 300; i++) crowd.push(await openLogin(server.port, `member_with_a_long_name_${String(i).padStart(3, '0')}`));
    const watcher = await openLogin(server.port, 'watcher');
    const spammers: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await openLogin(server.port, `spammer${i}`);
      c.socket.pause();
      spammers.push(c);
    }
    const before = rssOf(server.proc.pid!);
    const burst = '/who\n'.repeat(5000);
    for (const [i, c] of spammers.entries()) c.send(`${burst}@watcher done ${i}\n`);
    // Each spammer's private line comes after its 5,000 commands: once all three arrive, the
    // server has handled every /who.
    for (let i = 0; i < 3; i++) await watcher.waitFor(`: done ${i}\n`, 60_000);
    const growth = rssOf(server.proc.pid!) - before;
    t.diagnostic(`RSS growth ${(growth / MIB).toFixed(1)} MiB after 15,000 /who from clients that do not read`);
    // Unbounded, 15,000 replies of ~10 KB would stay queued: ~150 MiB (the old server grew 212 MiB
    // here). Bounded, what grows is garbage the collector has not returned yet, which a busy machine
    // lets pile up (10-31 MiB measured): the bound leaves room for that, not for the replies.
    assert.ok(growth < 64 * MIB, `RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
    // A spammer that reads again gets what fitted, then one line saying the rest was refused.
    const s = spammers[0]!;
    s.socket.resume();
    await s.waitFor(/\[SERVER\] \d+ messages were dropped because your connection is too slow\.\n/, 30_000);
    assert.match(s.text, /\[SERVER\] Online \(304\): member_with_a_long_name_000 \(lobby\), .*; page 1 of 2 \(\/who 2 for the next\)\n/);
    for (const c of [...crowd, watcher, ...spammers]) c.destroy();
  } finally {
    await server.stop();
  }
});

test('a member who arrives while the room is over --announce-limit does not get joins from before they came', async () => {
  const server = await startServer(['--announce-limit', '2', '--notice-delay', '2000']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    const c = await TestClient.login(server.port, 'user3');
    a.send('marker\n');
    const at = await c.waitFor('user1: marker\n');
    await b.waitFor('user1: marker\n');
    assert.equal(c.text.slice(0, at), "Enter username: Enter password: Welcome user3! Type 'exit' to leave.\nuser1: marker\n");
    assert.match(b.text, /Welcome user2! Type 'exit' to leave\.\nuser1: marker\n$/, 'b saw no join from before itself either');
    for (const x of [a, b, c]) x.destroy();
  } finally {
    await server.stop();
  }
});

test('/slow can be lowered at once, and command replies are not held behind your own delay', async () => {
  const server = await startServer(['--flood-rate', '0']);
  try {
    const slow = await TestClient.login(server.port, 'user2');
    const other = await TestClient.login(server.port, 'user1');
    slow.send('/slow 60000\n');
    await slow.waitFor('[SERVER] Your send delay is now 60000 ms.\n');
    slow.send('/slow 100\n');
    // Within the test's wait (10 s), far below the old 60 s deadline.
    await slow.waitFor('[SERVER] Your send delay is now 100 ms.\n');
    other.send('after lowering\n');
    await slow.waitFor('user1: after lowering\n');
    slow.send('/slow off\n');
    await slow.waitFor('[SERVER] Your send delay is now off.\n');
    for (const x of [slow, other]) x.destroy();
  } finally {
    await server.stop();
  }
});

test('errors echo at most 32 characters of what was typed, commands keep their case, a too-long username gets a new prompt', async () => {
  const server = await startServer();
  try {
    const c = await TestClient.connect(server.port);
    await c.waitFor('Enter username: ');
    c.send(`${'u'.repeat(5000)}\n`);
    await c.waitFor('[SERVER] Line too long (max 4096 bytes).\nEnter username: ');
    c.send('user1\nuser1p\n');
    await c.waitFor("Welcome user1! Type 'exit' to leave.\n");
    const long = 'n'.repeat(4000);
    c.send(`@${long} hi\n`);
    await c.waitFor(`[SERVER] User ${'n'.repeat(32)} not online.\n`);
    c.send(`/${long}\n`);
    await c.waitFor(`[SERVER] Unknown command /${'n'.repeat(32)}. Type /help.\n`);
    c.send('/FooBar\n');
    await c.waitFor('[SERVER] Unknown command /FooBar. Type /help.\n');
    assert.ok(c.lines.every((l) => l.length < 120), 'no line echoes the long input whole');
    c.destroy();
  } finally {
    await server.stop();
  }
});
