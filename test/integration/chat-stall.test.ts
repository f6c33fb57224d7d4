import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

test('a client that stops reading never delays the others; its drops are logged', async () => {
  const server = await startServer(['--flood-rate', '0', '--log-messages', 'off']);
  try {
    const stalled = await TestClient.login(server.port, 'user2');
    stalled.socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
    const sender = await TestClient.login(server.port, 'user1');
    const reader = await TestClient.login(server.port, 'user3');
    await sender.waitFor('user3 joined the chat.\n');
    const payload = 'x'.repeat(4000);
    // Far more than loopback's kernel buffers (a few MB) + the queue can hold.
    const total = 6000; // 24 MB
    for (let i = 0; i < total; i += 100) {
      let batch = '';
      for (let j = i; j < i + 100; j++) batch += `${j} ${payload}\n`;
      sender.send(batch);
      await reader.waitFor(`user1: ${i + 99} `);
    }
    await reader.waitFor(`user1: ${total - 1} `);
    const got = reader.lines.filter((l) => l.startsWith('user1: ')).length;
    assert.equal(got, total, 'the reading client got every message');
    await server.waitForLog(/^\[DROP\] Queue full for user2$/);
    assert.ok(!server.lines.some((l) => l === '[DROP] Queue full for user3'));
    stalled.destroy();
    sender.destroy();
    reader.destroy();
  } finally {
    await server.stop();
  }
});
