import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient, leave } from '../helpers/client.js';

let server: ServerProc;
before(async () => {
  server = await startServer(['--flood-rate', '0', '--log-messages', 'off']);
});
after(async () => {
  await server.stop();
});

test('/stats shows a client its own queue, window, delay and counts', async () => {
  const a = await TestClient.login(server.port, 'user2');
  const b = await TestClient.login(server.port, 'user3');
  await a.waitFor('user3 joined the chat.\n');
  a.send('one\ntwo\n@user3 three\n');
  await b.waitFor('[PRIVATE] user2: three\n');
  a.send('/stats\n');
  await a.waitFor(/Your messages: .*\n/);
  assert.match(a.text, /\[SERVER\] Your queue: 0\/10 messages, 0\/65536 bytes; window 16 \(aimd\), 0 in flight; send delay off; link unlimited\.\n/);
  // Out: the welcome and the join notice; both /stats lines are rendered before either is sent.
  assert.match(a.text, /\[SERVER\] Your messages: 3 in, 2 out, 0 dropped\.\n/);
  await leave(a, b);
});

test('/stats all is for admins: a table of every client plus server totals and memory', async () => {
  const admin = await TestClient.login(server.port, 'user1');
  const other = await TestClient.login(server.port, 'user4');
  await admin.waitFor('user4 joined the chat.\n');
  other.send('/stats all\n');
  await other.waitFor('[SERVER] /stats all is for admins only.\n');
  admin.send('/stats all\n');
  await admin.waitFor(/\[SERVER\] user4 .*\n/);
  const lines = admin.lines;
  const server_ = lines.find((l) => l.startsWith('[SERVER] Server: '));
  assert.match(server_ ?? '', /^\[SERVER\] Server: \d+ connections, 2 online; \d+ in, \d+ out, \d+ dropped; rss [\d.]+ MiB, heap [\d.]+ MiB; up \d+ s\.$/);
  const header = lines.find((l) => l.startsWith('[SERVER] user '));
  assert.match(header ?? '', /^\[SERVER\] user\s+room\s+queue\s+bytes\s+window\s+delay\s+in\s+out\s+dropped$/);
  assert.ok(lines.some((l) => /^\[SERVER\] user1\s+lobby\s+\d+\s+\d+\s+16\s+off\s+0\s+\d+\s+0$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^\[SERVER\] user4\s+lobby\s+/.test(l)));
  await leave(admin, other);
});

test('/kick: admins only; the target is told, closed with KICKED, and the room sees the leave', async () => {
  const admin = await TestClient.login(server.port, 'user1');
  const target = await TestClient.login(server.port, 'user2');
  const other = await TestClient.login(server.port, 'user3');
  await admin.waitFor('user3 joined the chat.\n');
  other.send('/kick user2\n');
  await other.waitFor('[SERVER] /kick is for admins only.\n');
  admin.send('/kick nobody\n');
  await admin.waitFor('[SERVER] User nobody not online.\n');
  admin.send('/kick user1\n');
  await admin.waitFor('[SERVER] You cannot kick yourself; use /quit.\n');
  admin.send('/kick user2\n');
  await target.waitFor('[SERVER] You were kicked by user1.\n');
  await target.waitClosed();
  await admin.waitFor('[SERVER] Kicked user2.\n');
  await other.waitFor('user2 left the chat.\n');
  await server.waitForLog(/^\[DISCONNECTED\] user2 \(KICKED\)$/);
  await server.waitForLog(/^\[KICK\] user2 by user1$/);
  await leave(admin, other);
});

test('/help lists the flow commands; /kick only for admins', async () => {
  const admin = await TestClient.login(server.port, 'user1');
  const user = await TestClient.login(server.port, 'user4');
  for (const c of [admin, user]) c.send('/help\n');
  await admin.waitFor(/\/kick <user>.*\n/);
  await user.waitFor(/\/slow <ms>\|off.*\n/);
  await user.waitFor('exit ');
  assert.match(user.text, /\/stats /);
  assert.ok(!user.text.includes('/kick'));
  await leave(admin, user);
});
