import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

const FULL = '[SERVER] Server full, try again later. Connection closed.\n';
const PER_IP = '[SERVER] Too many connections from your address. Connection closed.\n';

test('--max-clients: one connection over the limit gets a one-line refusal and is closed; a freed slot is usable again', async () => {
  const server = await startServer(['--max-clients', '3']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.connect(server.port);
    const c = await TestClient.connect(server.port);
    await c.waitFor('Enter username: ');
    const over = await TestClient.connect(server.port);
    await over.waitClosed();
    assert.equal(over.text, FULL);
    await server.waitForLog(/^\[REFUSED\] 127\.0\.0\.1 \(SERVER_FULL\)$/);

    b.destroy();
    await b.waitClosed();
    // The server notices the close asynchronously: retry until the slot is free.
    let next: TestClient;
    for (;;) {
      next = await TestClient.connect(server.port);
      await next.waitFor(/Enter username: |Connection closed/);
      if (next.text === 'Enter username: ') break;
      assert.equal(next.text, FULL);
    }
    a.send('/who\n');
    await a.waitFor('[SERVER] Online (1): user1 (lobby)\n');
    for (const x of [a, c, next]) x.destroy();
  } finally {
    await server.stop();
  }
});

test('--max-per-ip: the address over its limit is refused, other addresses are not', async (t) => {
  const server = await startServer(['--max-per-ip', '2']);
  try {
    const a = await TestClient.connect(server.port);
    const b = await TestClient.connect(server.port);
    await b.waitFor('Enter username: ');
    const over = await TestClient.connect(server.port);
    await over.waitClosed();
    assert.equal(over.text, PER_IP);
    await server.waitForLog(/^\[REFUSED\] 127\.0\.0\.1 \(TOO_MANY_FROM_IP\)$/);
    let other: TestClient;
    try {
      other = await TestClient.connect(server.port, '127.0.0.1', '127.0.0.2');
    } catch {
      t.diagnostic('cannot bind 127.0.0.2 here: the other-address half is skipped');
      return;
    }
    await other.waitFor('Enter username: ');
    for (const x of [a, b, other]) x.destroy();
  } finally {
    await server.stop();
  }
});

test('--idle-timeout: a user who sends nothing is told and closed, the room sees the leave, a user who types stays', async () => {
  const server = await startServer(['--idle-timeout', '1']);
  try {
    const idle = await TestClient.login(server.port, 'user1');
    const busy = await TestClient.login(server.port, 'user2');
    // Input of any kind counts, even an empty line.
    const typing = setInterval(() => busy.send('\n'), 100);
    try {
      await idle.waitFor('[SERVER] Disconnected: no input for 1 second.\n');
      await idle.waitClosed();
      await busy.waitFor('user1 left the chat.\n');
      assert.ok(!busy.closed);
      await server.waitForLog(/^\[DISCONNECTED\] user1 \(IDLE_TIMEOUT\)$/);
    } finally {
      clearInterval(typing);
    }
    busy.destroy();
  } finally {
    await server.stop();
  }
});

test('without --idle-timeout nobody is closed for being quiet', async () => {
  // 3 s: long enough for user1's own login on a busy machine, and the quiet user stays past it.
  const server = await startServer(['--login-timeout', '3']);
  try {
    const quiet = await TestClient.login(server.port, 'user1');
    // Wait for something that takes seconds to happen: a login timeout elsewhere.
    const pending = await TestClient.connect(server.port);
    await pending.waitClosed();
    quiet.send('/who\n');
    await quiet.waitFor('[SERVER] Online (1)');
    quiet.destroy();
  } finally {
    await server.stop();
  }
});

test('an endless line is refused once and never buffered; the connection stays usable', async () => {
  const server = await startServer(['--max-line', '1024']);
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    const mb = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 8; i++) a.send(mb);
    a.send('\nafter\n');
    await b.waitFor('user1: after\n');
    assert.equal(a.text.split('[SERVER] Line too long (max 1024 bytes).\n').length - 1, 1);
    assert.ok(!b.text.includes('aaaa'));
    for (const x of [a, b]) x.destroy();
  } finally {
    await server.stop();
  }
});
