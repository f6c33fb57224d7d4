import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

// Inbound flood control on the real server: a sender pastes 12 lines at once with a burst of 3.

const LINES = Array.from({ length: 12 }, (_, i) => `f${i + 1}`);

async function scenario(args: string[]) {
  const server = await startServer(['--log-messages', 'off', ...args]);
  const reader = await TestClient.login(server.port, 'user2');
  const sender = await TestClient.login(server.port, 'user1');
  await reader.waitFor('user1 joined the chat.\n');
  sender.send(LINES.map((l) => `${l}\n`).join(''));
  return { server, reader, sender };
}

const got = (c: TestClient) => c.lines.filter((l) => l.startsWith('user1: ')).map((l) => l.slice(7));

test('delay policy: excess lines are held (reading paused), none lost, order kept; counted in /stats', async () => {
  // A slow rate on purpose: a held line is let through when its token is due, and a line finds no
  // token waiting only if the server runs that timer less than one interval (here 250 ms) late. At
  // 20/s a busy machine's 50 ms of lateness let a line through undelayed and changed the count.
  const { server, reader, sender } = await scenario(['--flood-rate', '4', '--flood-burst', '3', '--flood-policy', 'delay']);
  try {
    await reader.waitFor('user1: f12\n');
    assert.deepEqual(got(reader), LINES);
    sender.send('/stats\n');
    await sender.waitFor(/Your messages: .*\n/);
    assert.match(sender.text, /Your messages: 12 in, \d+ out, 0 dropped; flood control (9|10) delayed, 0 refused\./);
    assert.ok(!sender.text.includes('too fast'));
  } finally {
    reader.destroy();
    sender.destroy();
    await server.stop();
  }
});

test('reject policy: lines over the burst are refused with ONE notice; exit still works', async () => {
  const { server, reader, sender } = await scenario(['--flood-rate', '1', '--flood-burst', '3', '--flood-policy', 'reject']);
  try {
    await sender.waitFor('[SERVER] You are sending too fast (limit 1 messages per second); messages are refused until you slow down.\n');
    sender.send('exit\n');
    await sender.waitClosed();
    await reader.waitFor('user1 left the chat.\n');
    assert.deepEqual(got(reader), ['f1', 'f2', 'f3']);
    assert.equal(sender.text.split('too fast').length - 1, 1, 'one notice for the whole run');
  } finally {
    reader.destroy();
    await server.stop();
  }
});

test('--flood-rate 0 turns flood control off: everything goes straight through', async () => {
  const { server, reader, sender } = await scenario(['--flood-rate', '0', '--flood-burst', '1', '--flood-policy', 'reject']);
  try {
    await reader.waitFor('user1: f12\n');
    assert.deepEqual(got(reader), LINES);
    sender.send('/stats\n');
    await sender.waitFor(/Your messages: .*\n/);
    assert.match(sender.text, /Your messages: 12 in, \d+ out, 0 dropped\.\n/, 'no flood-control figures when it is off');
  } finally {
    reader.destroy();
    sender.destroy();
    await server.stop();
  }
});
