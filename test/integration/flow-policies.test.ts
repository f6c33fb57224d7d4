import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WAIT_MS } from '../helpers/wait.js';

// Each overflow policy on the real server. user2 is made slow with --slow (the server holds each
// message to it 300 ms), so its queue of 3 overflows on a burst of 10 without megabytes of traffic;
// user3 reads normally and must get everything: the delay applies only to the user it names.

const BURST = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);

/** The complete lines `c` received after the first line equal to `marker`. */
function linesAfter(c: TestClient, marker: string): string[] {
  const lines = c.lines;
  return lines.slice(lines.indexOf(marker) + 1);
}

async function setUp(policy: string) {
  const server = await startServer(['--flood-rate', '0', '--queue-size', '3', '--slow', 'user2=300', '--overflow', policy, '--log-messages', 'off']);
  const slow = await TestClient.login(server.port, 'user2');
  const fast = await TestClient.login(server.port, 'user3');
  const sender = await TestClient.login(server.port, 'user1');
  await slow.waitFor('user1 joined the chat.\n');
  await fast.waitFor('user1 joined the chat.\n');
  sender.send(BURST.map((m) => `${m}\n`).join(''));
  await fast.waitFor('user1: m10\n');
  const chat = linesAfter(fast, 'user1 joined the chat.').filter((l) => l.startsWith('user1: '));
  assert.deepEqual(chat, BURST.map((m) => `user1: ${m}`), 'the normal reader got every message');
  return { server, slow, fast, sender };
}

for (const [policy, survivors] of [
  ['drop-newest', ['m1', 'm2', 'm3']],
  ['drop-oldest', ['m8', 'm9', 'm10']],
] as const) {
  test(`${policy}: the slow user keeps ${survivors.join(', ')}, gets ONE catch-up notice, and the drops are counted`, async () => {
    const { server, slow, fast, sender } = await setUp(policy);
    try {
      const notice = '[SERVER] 7 messages were dropped because your connection is too slow.';
      await slow.waitFor(`${notice}\n`);
      slow.send('/stats\n');
      await slow.waitFor(/Your messages: .*\.\n/);
      const after = linesAfter(slow, 'user1 joined the chat.');
      assert.deepEqual(after.slice(0, 4), [...survivors.map((m) => `user1: ${m}`), notice]);
      assert.equal(after.filter((l) => l.includes('were dropped')).length, 1, 'one notice, not one per drop');
      assert.match(after.join('\n'), /Your queue: \d+\/3 messages, \d+\/65536 bytes; window \d+ \(aimd\), \d+ in flight; send delay 300 ms; link unlimited\./);
      assert.match(after.join('\n'), /Your messages: 0 in, \d+ out, 7 dropped\./);
      await server.waitForLog(/^\[DROP\] Queue full for user2$/);
      assert.equal(server.lines.filter((l) => l === '[DROP] Queue full for user2').length, 7);
      assert.ok(!server.lines.some((l) => l === '[DROP] Queue full for user3'));
      assert.ok(!fast.text.includes('dropped'));
    } finally {
      for (const c of [slow, fast, sender]) c.destroy();
      await server.stop();
    }
  });
}

test('disconnect: the slow user gets the final notice and is closed with SENDQ_EXCEEDED; the room sees the leave', async () => {
  const { server, slow, fast, sender } = await setUp('disconnect');
  try {
    await slow.waitFor('[SERVER] Disconnected: send queue exceeded.\n');
    await slow.waitClosed();
    await server.waitForLog(/^\[DISCONNECTED\] user2 \(SENDQ_EXCEEDED\)$/);
    await fast.waitFor('user2 left the chat.\n');
    assert.equal(server.lines.filter((l) => l === '[DROP] Queue full for user2').length, 1);
    assert.ok(!slow.text.includes('user1: m4'), 'nothing after the overflow');
  } finally {
    for (const c of [slow, fast, sender]) c.destroy();
    await server.stop();
  }
});

test('defaults (aimd, queue of 10): 100 lines in one write from one sender arrive complete and in order at a normal reader', async () => {
  const server = await startServer(['--flood-rate', '0', '--log-messages', 'off']);
  try {
    const reader = await TestClient.login(server.port, 'user2');
    const sender = await TestClient.login(server.port, 'user1');
    await reader.waitFor('user1 joined the chat.\n');
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(100)}`);
    sender.send(lines.map((l) => `${l}\n`).join(''));
    await reader.waitFor(`user1: line 99 `);
    assert.deepEqual(linesAfter(reader, 'user1 joined the chat.'), lines.map((l) => `user1: ${l}`));
    assert.ok(!server.lines.some((l) => l.startsWith('[DROP]')));
    reader.destroy();
    sender.destroy();
  } finally {
    await server.stop();
  }
});

test('/slow: a client slows itself down (only itself) and /slow off restores it', async () => {
  const server = await startServer(['--flood-rate', '0', '--queue-size', '3', '--log-messages', 'off']);
  try {
    const a = await TestClient.login(server.port, 'user2');
    const b = await TestClient.login(server.port, 'user3');
    const sender = await TestClient.login(server.port, 'user1');
    await a.waitFor('user1 joined the chat.\n');
    await b.waitFor('user1 joined the chat.\n');
    a.send('/slow 250\n');
    await a.waitFor('[SERVER] Your send delay is now 250 ms.\n');
    await server.waitForLog(/^\[SLOW\] user2 set a send delay of 250 ms$/);
    sender.send(BURST.map((m) => `${m}\n`).join(''));
    await b.waitFor('user1: m10\n');
    await a.waitFor('[SERVER] 7 messages were dropped because your connection is too slow.\n');
    assert.ok(!b.text.includes('dropped'));
    a.send('/slow off\n');
    await a.waitFor('[SERVER] Your send delay is now off.\n');
    const mark = a.text.length;
    sender.send(BURST.map((m) => `again ${m}\n`).join(''));
    await a.waitFor('user1: again m10\n', WAIT_MS, mark);
    a.send('/slow 99999999\n');
    await a.waitFor('[SERVER] Use: /slow <ms> (0-60000) or /slow off\n');
    for (const c of [a, b, sender]) c.destroy();
  } finally {
    await server.stop();
  }
});
