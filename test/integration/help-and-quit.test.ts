import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { TestClient, leave } from '../helpers/client.js';
import { WsTestClient } from '../helpers/ws-client.js';

// What a new user meets: /help lists what works in their own protocol, and /quit says goodbye.

test('/help for a text user lists what works there: no /part (always one room), with @user and exit', async () => {
  const server = await startServer();
  try {
    const a = await TestClient.login(server.port, 'user1');
    const start = a.text.length;
    a.send('/help\n');
    const end = await a.waitFor('[SERVER]   exit             leave (same as /quit)\n');
    const help = a.text.slice(start, end);
    assert.match(help, /^\[SERVER\] Commands:\n/);
    assert.match(help, /\n\[SERVER\] {3}\/join <room> {5}move to a room \(created on first use\)\n/);
    assert.match(help, /\n\[SERVER\] {3}@user message {4}a private message to user\n\[SERVER\] {3}exit {13}leave \(same as \/quit\)\n$/);
    assert.ok(!help.includes('/part'), help);
    await leave(a);
  } finally {
    await server.stop();
  }
});

test('/help in the browser\'s message box lists /part and the browser\'s /join, and no text-protocol exit', async () => {
  const server = await startServer(['--http-port', '0']);
  try {
    const line = await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
    const ws = await WsTestClient.login(Number(/:(\d+)\/$/.exec(line)![1]), 'user3');
    ws.send({ type: 'command', room: 'lobby', line: '/help' });
    const last = await ws.waitFor((f) => f.type === 'notice' && f.text.startsWith('  @user message'));
    const first = ws.frames.findIndex((f) => f.type === 'notice' && f.text === 'Commands:');
    const rows = ws.frames.slice(first, ws.frames.indexOf(last) + 1).map((f) => (f.type === 'notice' ? f.text : `(${f.type})`));
    assert.ok(rows.includes('  /join <room>     join a room as well (created on first use)'), rows.join('\n'));
    assert.ok(rows.includes('  /part <room>     leave one of your rooms (this one when no room is named)'), rows.join('\n'));
    assert.equal(rows.at(-1), '  @user message    a private message to user (or click their name)');
    assert.ok(!rows.some((r) => /^ {2}exit /.test(r)), rows.join('\n'));
    ws.close();
  } finally {
    await server.stop();
  }
});

test('/quit says goodbye and closes; exit closes without a word, as the seed does; both leave the chat', async () => {
  const server = await startServer();
  try {
    const a = await TestClient.login(server.port, 'user1');
    const b = await TestClient.login(server.port, 'user2');
    await a.waitFor('user2 joined the chat.\n');
    let start = a.text.length;
    a.send('/quit\n');
    await a.waitClosed();
    assert.equal(a.text.slice(start), '[SERVER] Goodbye.\n');
    await b.waitFor('user1 left the chat.\n');

    const c = await TestClient.login(server.port, 'user3');
    start = c.text.length;
    c.send('/QUIT see you\n');
    await c.waitClosed();
    assert.equal(c.text.slice(start), '[SERVER] Goodbye.\n');
    await b.waitFor('user3 left the chat.\n');

    start = b.text.length;
    b.send('exit\n');
    await b.waitClosed();
    assert.equal(b.text.slice(start), '');
    await server.waitForLog(/^\[DISCONNECTED\] user2$/);
  } finally {
    await server.stop();
  }
});
