import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient, leave } from '../helpers/client.js';
import { WAIT_MS } from '../helpers/wait.js';

let server: ServerProc;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

test('login prompts and welcome are byte-for-byte the seed\'s', async () => {
  const c = await TestClient.connect(server.port);
  await c.waitFor('Enter username: ');
  assert.equal(c.text, 'Enter username: ');
  c.send('user1\n');
  await c.waitFor('Enter password: ');
  assert.equal(c.text, 'Enter username: Enter password: ');
  c.send('user1p\r\n');
  await c.waitFor('\n');
  assert.equal(c.text, "Enter username: Enter password: Welcome user1! Type 'exit' to leave.\n");
  await server.waitForLog(/^\[CONNECTED\] user1 from \('127\.0\.0\.1', \d+\)$/);
  c.send('exit\n');
  await c.waitClosed();
});

test('two users chat; join and leave notices reach the other', async () => {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  await a.waitFor('user2 joined the chat.\n');
  a.send('Hello everyone\n');
  await b.waitFor('user1: Hello everyone\n');
  await server.waitForLog(/^\[MESSAGE\] user1: Hello everyone$/);
  b.send('hi back\n');
  await a.waitFor('user2: hi back\n');
  // Senders never get their own broadcast back.
  assert.ok(!a.text.includes('user1: Hello everyone'));
  b.send('EXIT\n');
  await b.waitClosed();
  await a.waitFor('user2 left the chat.\n');
  await server.waitForLog(/^\[DISCONNECTED\] user2$/);
  a.send('exit\n');
  await a.waitClosed();
});

test('ten users: every line reaches the nine others, in order', async () => {
  const names = Array.from({ length: 10 }, (_, i) => `u${i}`);
  const server10 = await startServer(['--auth', 'open', '--flood-rate', '0']);
  try {
    const clients: TestClient[] = [];
    for (const n of names) clients.push(await TestClient.login(server10.port, n, 'x'));
    // Wait until everyone has seen every later login, so no line is sent before a recipient is present.
    await Promise.all(clients.map((c, i) => Promise.all(names.slice(i + 1).map((n) => c.waitFor(`${n} joined the chat.\n`)))));
    clients.forEach((c, i) => c.send(`line 1 from ${names[i]}\nline 2 from ${names[i]}\n`));
    for (const [i, c] of clients.entries()) {
      for (const [j, n] of names.entries()) {
        if (i === j) continue;
        const first = await c.waitFor(`${n}: line 1 from ${n}\n`);
        await c.waitFor(`${n}: line 2 from ${n}\n`, WAIT_MS, first);
      }
      assert.ok(!c.text.includes(`${names[i]}: line`), 'no echo to the sender');
    }
    for (const c of clients) c.destroy();
  } finally {
    await server10.stop();
  }
});

test('private messages and both errors', async () => {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  const c = await TestClient.login(server.port, 'user3');
  a.send('@user2 Hello, how are you?\n');
  await b.waitFor('[PRIVATE] user1: Hello, how are you?\n');
  a.send('@user4 are you there\n');
  await a.waitFor('[SERVER] User user4 not online.\n');
  a.send('@user2\n');
  await a.waitFor('[SERVER] Use: @username message\n');
  a.send('/who\n');
  await a.waitFor('[SERVER] Online (3): user1 (lobby), user2 (lobby), user3 (lobby)\n');
  assert.ok(!c.text.includes('Hello, how are you?'), 'a third user never sees a private message');
  await leave(a, b, c);
});

test('wrong password and unknown user are refused and closed', async () => {
  for (const [user, pass] of [['user1', 'nope'], ['mallory', 'user1p']] as const) {
    const c = await TestClient.connect(server.port);
    await c.waitFor('Enter username: ');
    c.send(`${user}\n`);
    await c.waitFor('Enter password: ');
    c.send(`${pass}\n`);
    await c.waitFor('Invalid credentials. Connection closed.\n');
    await c.waitClosed();
    await server.waitForLog(new RegExp(`^\\[AUTH FAILED\\] ${user} from \\('127\\.0\\.0\\.1', \\d+\\)$`));
  }
});

test('a second login with the same name is refused; the first session is untouched', async () => {
  const first = await TestClient.login(server.port, 'user4');
  const dup = await TestClient.connect(server.port);
  await dup.waitFor('Enter username: ');
  dup.send('user4\n');
  await dup.waitFor('Enter password: ');
  dup.send('user4p\n');
  await dup.waitFor('Username already logged in. Connection closed.\n');
  await dup.waitClosed();
  await server.waitForLog(/^\[DUPLICATE LOGIN\] user4$/);
  const other = await TestClient.login(server.port, 'user2');
  other.send('still there?\n');
  await first.waitFor('user2: still there?\n');
  assert.ok(!first.closed);
  await leave(first, other);
});

test('a client that vanishes (reset) is announced as left', async () => {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  await a.waitFor('user2 joined the chat.\n');
  b.socket.resetAndDestroy();
  await a.waitFor('user2 left the chat.\n');
  await leave(a);
});

test('rooms: /join moves, announces in both rooms, and scopes chat', async () => {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  const c = await TestClient.login(server.port, 'user3');
  await a.waitFor('user3 joined the chat.\n');
  b.send('/join dev\n');
  await b.waitFor('[SERVER] You are now in room dev.\n');
  await a.waitFor('user2 left room lobby.\n');
  c.send('/join dev\n');
  await b.waitFor('user3 joined room dev.\n');
  c.send('dev talk\n');
  await b.waitFor('user3: dev talk\n');
  a.send('lobby talk\n');
  b.send('/rooms\n');
  await b.waitFor('[SERVER] Rooms (2): dev (2), lobby (1)\n');
  b.send('/join dev\n');
  await b.waitFor('[SERVER] You are already in room dev.\n');
  b.send('/join no spaces!\n');
  await b.waitFor('[SERVER] Invalid room name: room names are 1-32 letters, digits, _ or -.\n');
  b.send('/me waves\n');
  await c.waitFor('* user2 waves\n');
  c.send('exit\n');
  await b.waitFor('user3 left the chat.\n');
  assert.ok(!b.text.includes('lobby talk'), 'lobby chat does not reach dev');
  assert.ok(!a.text.includes('dev talk'), 'dev chat does not reach lobby');
  assert.ok(!a.text.includes('user3 left the chat.'), 'leaves are announced in the leaver\'s room only');
  await leave(a, b);
});

test('commands: /help lists commands, unknown ones are refused, nothing starting with / is broadcast', async () => {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  a.send('/help\n');
  await a.waitFor('[SERVER] Commands:\n');
  await a.waitFor(/\[SERVER\] +\/join <room> +move to a room/);
  a.send('/x\n');
  await a.waitFor('[SERVER] Unknown command /x. Type /help.\n');
  a.send('/quit\n');
  await a.waitClosed();
  await b.waitFor('user1 left the chat.\n');
  assert.ok(!b.text.includes('/x') && !b.text.includes('/help'));
  await leave(b);
});
