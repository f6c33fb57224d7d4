import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

test('SIGTERM: every client gets the shutdown notice, sockets close, exit code 0', async () => {
  const server = await startServer();
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  const pending = await TestClient.connect(server.port); // not logged in yet
  await pending.waitFor('Enter username: ');
  const code = await server.stop('SIGTERM');
  for (const c of [a, b, pending]) {
    await c.waitFor('[SERVER] Server shutting down.\n');
    await c.waitClosed();
  }
  assert.equal(code, 0);
  assert.ok(!a.text.includes('left the chat'), 'no leave storm at shutdown');
});

test('SIGINT works the same way', async () => {
  const server = await startServer();
  const a = await TestClient.login(server.port, 'user1');
  assert.equal(await server.stop('SIGINT'), 0);
  await a.waitFor('[SERVER] Server shutting down.\n');
});
