import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

async function failLogin(port: number): Promise<string> {
  const c = await TestClient.connect(port);
  await c.waitFor('Enter username: ');
  c.send('user1\n');
  await c.waitFor('Enter password: ');
  c.send('wrong\n');
  await c.waitClosed();
  return c.text;
}

test('--auth-failures and --auth-ban set the failed-login throttle', async () => {
  const server = await startServer(['--auth-failures', '2', '--auth-ban', '30']);
  try {
    assert.match(await failLogin(server.port), /Invalid credentials\. Connection closed\.\n$/);
    assert.match(await failLogin(server.port), /Invalid credentials\. Connection closed\.\n$/);
    const third = await failLogin(server.port);
    assert.match(third, /Too many failed logins\. Try again in (\d+) seconds?\. Connection closed\.\n$/);
    const seconds = Number(/in (\d+) second/.exec(third)![1]);
    assert.ok(seconds > 2 && seconds <= 30, `ban of ${seconds} s follows --auth-ban 30`);
    await server.waitForLog(/^\[AUTH THROTTLED\] user1 from \('127\.0\.0\.1', \d+\)$/);
  } finally {
    await server.stop();
  }
});
