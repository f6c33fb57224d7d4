import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WsTestClient } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/protocols/ws/messages.js';

// The browser protocol over a real WebSocket client (the `ws` package), side by side with
// text-protocol clients on the same server.

async function webServer(args: string[] = []): Promise<{ server: ServerProc; web: number }> {
  const server = await startServer(['--http-port', '0', ...args]);
  const line = await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/);
  return { server, web: Number(/:(\d+)\/$/.exec(line)![1]) };
}

const of = <K extends ServerMessage['type']>(type: K) => (f: ServerMessage): f is Extract<ServerMessage, { type: K }> => f.type === type;

test('login: hello, welcome, presence; wrong password and bad names refused with a reason and close code 4001', async () => {
  const { server, web } = await webServer();
  try {
    const c = await WsTestClient.open(web);
    const hello = await c.waitFor(of('hello'));
    assert.equal(hello.protocol, 1);
    c.send({ type: 'say', room: 'lobby', text: 'too early' });
    assert.equal((await c.waitFor(of('error'))).code, 'not-logged-in');
    c.send({ type: 'login', user: 'user3', password: 'user3p' });
    assert.deepEqual(await c.waitFor(of('welcome')), { type: 'welcome', user: 'user3', admin: false, rooms: ['lobby'] });
    const presence = await c.waitFor(of('presence'));
    assert.deepEqual(presence.users, [{ name: 'user3', rooms: ['lobby'] }]);

    const bad = await WsTestClient.open(web);
    bad.send({ type: 'login', user: 'user2', password: 'wrong' });
    assert.deepEqual(await bad.waitFor(of('login-failed')), { type: 'login-failed', reason: 'invalid', text: 'Invalid credentials.' });
    assert.equal(await bad.waitClosed(), 4001);
    await server.waitForLog(/^\[AUTH FAILED\] user2 from \('127\.0\.0\.1', \d+\)$/);

    const badName = await WsTestClient.open(web);
    badName.send({ type: 'login', user: 'no spaces', password: 'x' });
    assert.equal((await badName.waitFor(of('login-failed'))).reason, 'bad-name');
    assert.equal(await badName.waitClosed(), 4001);
    c.close();
  } finally {
    await server.stop();
  }
});

test('one name, one session across protocols: duplicate logins are refused both ways', async () => {
  const { server, web } = await webServer();
  try {
    const text = await TestClient.login(server.port, 'user1');
    const dup = await WsTestClient.open(web);
    dup.send({ type: 'login', user: 'user1', password: 'user1p' });
    assert.equal((await dup.waitFor(of('login-failed'))).reason, 'duplicate');
    const ws = await WsTestClient.login(web, 'user2');
    const dupText = await TestClient.connect(server.port);
    dupText.send('user2\nuser2p\n');
    await dupText.waitFor('Username already logged in. Connection closed.\n');
    text.destroy();
    ws.close();
  } finally {
    await server.stop();
  }
});

test('every message kind, both ways, between a browser user and a text user', async () => {
  const { server, web } = await webServer();
  try {
    const text = await TestClient.login(server.port, 'user1');
    const ws = await WsTestClient.login(web, 'user3');
    await text.waitFor('user3 joined the chat.\n');

    ws.send({ type: 'say', room: 'lobby', text: 'hello from the browser' });
    await text.waitFor('user3: hello from the browser\n');
    text.send('hello from the terminal\n');
    const msg = await ws.waitFor((f) => f.type === 'message' && f.text === 'hello from the terminal');
    assert.ok(msg.type === 'message' && msg.from === 'user1' && msg.room === 'lobby' && msg.id > 0 && msg.at > 1.7e12);

    ws.send({ type: 'action', room: 'lobby', text: 'waves' });
    await text.waitFor('* user3 waves\n');
    text.send('/me nods\n');
    await ws.waitFor((f) => f.type === 'action' && f.from === 'user1' && f.text === 'nods');

    ws.send({ type: 'private', to: 'user1', text: 'psst' });
    await text.waitFor('[PRIVATE] user3: psst\n');
    text.send('@user3 back\n');
    await ws.waitFor((f) => f.type === 'private' && f.from === 'user1' && f.to === 'user3' && f.text === 'back');
    ws.send({ type: 'private', to: 'nobody', text: 'x' });
    assert.equal((await ws.waitFor((f) => f.type === 'error' && f.code === 'not-online')).type, 'error');

    // Typed lines go through the same commands as the text protocol.
    ws.send({ type: 'command', room: 'lobby', line: '/who' });
    await ws.waitFor((f) => f.type === 'notice' && f.text === 'Online (2): user1 (lobby), user3 (lobby)');
    ws.send({ type: 'command', room: 'lobby', line: '/me laughs' });
    await text.waitFor('* user3 laughs\n');
    ws.send({ type: 'command', room: 'lobby', line: '@user1 typed whisper' });
    await text.waitFor('[PRIVATE] user3: typed whisper\n');
    ws.send({ type: 'command', room: 'lobby', line: '/nope' });
    await ws.waitFor((f) => f.type === 'notice' && f.text === 'Unknown command /nope. Type /help.');

    // Rooms: the browser user joins dev and stays in lobby; the text user moves in and out.
    ws.send({ type: 'join', room: 'dev' });
    await ws.waitFor((f) => f.type === 'joined' && f.user === 'user3' && f.room === 'dev');
    text.send('/join dev\n');
    await ws.waitFor((f) => f.type === 'joined' && f.user === 'user1' && f.room === 'dev');
    ws.send({ type: 'topic', room: 'dev', text: 'ship it' });
    await text.waitFor('[TOPIC] user3 set the topic of dev: ship it\n');
    await ws.waitFor((f) => f.type === 'topic' && f.by === 'user3' && f.text === 'ship it');
    ws.send({ type: 'say', room: 'dev', text: 'in dev' });
    await text.waitFor('user3: in dev\n');
    ws.send({ type: 'command', room: 'dev', line: '/part' });
    await text.waitFor('user3 left room dev.\n');
    ws.send({ type: 'say', room: 'dev', text: 'gone' });
    assert.equal((await ws.waitFor((f) => f.type === 'error' && f.code === 'not-in-room')).type, 'error');

    ws.send({ type: 'stats' });
    const stats = await ws.waitFor(of('stats'));
    assert.equal(stats.queueSize, 10);
    ws.close();
    await text.waitFor('user3 left the chat.\n').catch(() => undefined);
    text.destroy();
  } finally {
    await server.stop();
  }
});

test('garbage frames: binary, invalid JSON, unknown types and wrong fields get an error frame and change nothing', async () => {
  const { server, web } = await webServer();
  try {
    const ws = await WsTestClient.login(web, 'user3');
    const text = await TestClient.login(server.port, 'user1');
    const garbage: Array<string | Buffer> = [Buffer.from([0, 1, 2, 255]), '{', 'null', '[]', '42', '"x"', '{"type":"nope"}', '{"type":"say","room":"lobby"}', '{"type":"say","room":1,"text":"x"}', '{"type":"login","user":"a","password":"b"}', '\u0000\u001b[2J'];
    for (const g of garbage) ws.ws.send(g);
    await ws.until(() => ws.frames.filter((f) => f.type === 'error').length === garbage.length);
    assert.deepEqual(
      ws.frames.filter((f) => f.type === 'error').map((f) => f.type === 'error' && f.code),
      [...Array<string>(garbage.length - 2).fill('bad-message'), 'already-logged-in', 'bad-message'],
    );
    ws.send({ type: 'say', room: 'lobby', text: 'still here' });
    await text.waitFor('user3: still here\n');
    assert.equal(ws.closeCode, undefined);
    ws.close();
    text.destroy();
  } finally {
    await server.stop();
  }
});

test('a message over the size limit closes with 1009; a cross-origin page is refused with 403; the server full with 503', async () => {
  const { server, web } = await webServer(['--http-origins', 'https://chat.example.com', '--max-clients', '3']);
  try {
    const big = await WsTestClient.login(web, 'user3');
    big.send({ type: 'say', room: 'lobby', text: 'x'.repeat(20_000) });
    assert.equal(await big.waitClosed(), 1009);

    await assert.rejects(WsTestClient.open(web, { Origin: 'https://evil.example' }), /HTTP 403/);
    await server.waitForLog(/^\[WS REFUSED\] .*cross-origin request from https:\/\/evil\.example$/);
    const same = await WsTestClient.open(web, { Origin: `http://127.0.0.1:${web}` });
    const listed = await WsTestClient.open(web, { Origin: 'https://chat.example.com' });
    const third = await WsTestClient.open(web);
    await assert.rejects(WsTestClient.open(web), /HTTP 503/);
    for (const c of [same, listed, third]) c.close();
  } finally {
    await server.stop();
  }
});

test('a browser user who stops reading: bounded queue, drops counted, then told how many were lost', async () => {
  const { server, web } = await webServer(['--flood-rate', '0']);
  try {
    const reader = await WsTestClient.login(web, 'user3');
    const socket = (reader.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const admin = await TestClient.login(server.port, 'user1');
    const line = `${'y'.repeat(3000)}\n`;
    for (let i = 0; i < 2000; i++) admin.send(line);
    admin.send('/stats all\n');
    const at = await admin.waitFor(/\[SERVER\] user3 +lobby +\d+ +(\d+) /, 30_000);
    const bytes = Number(/\[SERVER\] user3 +lobby +\d+ +(\d+) /.exec(admin.text.slice(0, at))![1]);
    assert.ok(bytes <= 64 * 1024, `queued ${bytes} bytes for a reader that does not read`);
    socket.resume();
    await reader.waitFor((f) => f.type === 'notice' && /^\d+ messages were dropped because your connection is too slow\.$/.test(f.text), 30_000);
    reader.close();
    admin.destroy();
  } finally {
    await server.stop();
  }
});

test('the page is served with its security headers; other methods and paths are refused', async () => {
  const { server, web } = await webServer();
  try {
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: web, path, method }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on('error', reject);
        req.end();
      });
    const page = await get('/');
    assert.ok(page.status === 200 || page.status === 503, `status ${page.status}`);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal((await get('/../../etc/passwd')).status === 404 || page.status === 503, true);
    assert.equal((await get('/', 'POST')).status, 405);

    // A raw upgrade to another path, and raw garbage on the web port: refused, the server carries on.
    const raw = connect(web, '127.0.0.1');
    await once(raw, 'connect');
    raw.end('GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    let answer = '';
    raw.on('data', (d: Buffer) => (answer += d.toString()));
    await once(raw, 'close');
    assert.match(answer, /^HTTP\/1\.1 404/);
    const junk = connect(web, '127.0.0.1');
    await once(junk, 'connect');
    junk.on('error', () => {});
    junk.resume();
    junk.end(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    await once(junk, 'close');
    const ws = await WsTestClient.login(web, 'user2');
    ws.close();
  } finally {
    await server.stop();
  }
});

/** Sends a `history` request and resolves with the lines of its answer and its `history-end`. */
async function historyPage(ws: WsTestClient, request: Record<string, unknown>): Promise<{ texts: string[]; lines: ServerMessage[]; more: boolean }> {
  const from = ws.frames.length;
  ws.send({ type: 'history', ...request });
  const end = await ws.waitFor(of('history-end'), undefined, from);
  // Only the answer's lines: live frames (a join or leave elsewhere) may arrive in between.
  const lines = ws.frames.slice(from, ws.frames.indexOf(end, from)).filter((f) => 'history' in f && f.history === true);
  assert.equal(end.room, request['room']);
  return { texts: lines.map((f) => ('text' in f ? f.text : f.type)), lines, more: end.more };
}

test('history request: stored lines oldest first as history frames, paged back by `before`, at most `limit` and --history, then history-end with `more`; garbage refused', async () => {
  const { server, web } = await webServer(['--history', '8', '--queue-bytes', '16384']);
  try {
    const text = await TestClient.login(server.port, 'user1');
    const ws = await WsTestClient.login(web, 'user3');
    await text.waitFor('user3 joined the chat.\n');
    for (let i = 1; i <= 10; i++) {
      text.send(i === 5 ? '/me h5\n' : `h${i}\n`);
      await ws.waitFor((f) => 'text' in f && f.text === `h${i}`);
      // Distinct times, so that `before` (strictly older) cuts between lines.
      const at = Date.now();
      while (Date.now() <= at) await new Promise((r) => setTimeout(r, 1));
    }

    const latest = await historyPage(ws, { room: 'lobby', limit: 3 });
    assert.deepEqual(latest.texts, ['h8', 'h9', 'h10']);
    assert.equal(latest.more, true);
    for (const f of latest.lines) assert.ok((f.type === 'message' || f.type === 'action') && f.history === true && f.id === 0 && f.from === 'user1' && f.room === 'lobby', JSON.stringify(f));
    const before = (f: ServerMessage | undefined): number => (f !== undefined && 'at' in f ? f.at : NaN);
    const older = await historyPage(ws, { room: 'lobby', limit: 3, before: before(latest.lines[0]) });
    assert.deepEqual(older.texts, ['h5', 'h6', 'h7']);
    assert.equal(older.lines[0]!.type, 'action');
    assert.equal(older.more, true);
    // --history 8 keeps h3..h10: two are left, and nothing more.
    const oldest = await historyPage(ws, { room: 'lobby', limit: 3, before: before(older.lines[0]) });
    assert.deepEqual(oldest, { ...oldest, texts: ['h3', 'h4'], more: false });
    assert.deepEqual((await historyPage(ws, { room: 'lobby', before: before(oldest.lines[0]) })).texts, []);
    // Without `limit` 50, and never more than --history.
    for (const limit of [undefined, 1000]) {
      const all = await historyPage(ws, limit === undefined ? { room: 'lobby' } : { room: 'lobby', limit });
      assert.deepEqual(all, { ...all, texts: ['h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9', 'h10'], more: false });
    }

    // A room the user is not in is refused; an empty one answers with just the end.
    ws.send({ type: 'history', room: 'dev' });
    await ws.waitFor((f) => f.type === 'error' && f.code === 'not-in-room');
    ws.send({ type: 'join', room: 'dev' });
    await ws.waitFor((f) => f.type === 'joined' && f.room === 'dev');
    assert.deepEqual(await historyPage(ws, { room: 'dev' }), { texts: [], lines: [], more: false });

    // One answer stays within the outbox bounds (half of --queue-bytes): the newest lines that fit, and `more`.
    text.send('/join big\n');
    await text.waitFor('You are now in room big.\n');
    for (let i = 0; i < 8; i++) text.send(`${i}${'z'.repeat(1999)}\n`);
    text.send('/history 1\n');
    await text.waitFor(/End of history\.\n/);
    ws.send({ type: 'join', room: 'big' });
    await ws.waitFor((f) => f.type === 'joined' && f.room === 'big');
    const big = await historyPage(ws, { room: 'big' });
    assert.ok(big.lines.length >= 1 && big.lines.length < 8, `${big.lines.length} lines of 2000 bytes in an 8 KiB answer`);
    assert.equal(big.texts.at(-1)![0], '7', 'the newest lines are kept');
    assert.equal(big.more, true);

    // Garbage: a missing room, a `before` or `limit` that is not a sane number get bad-message and change nothing.
    const errors = ws.frames.filter(of('error')).length;
    const garbage = [{}, { room: 1 }, { room: 'lobby', before: 'x' }, { room: 'lobby', before: -1 }, { room: 'lobby', before: null }, { room: 'lobby', limit: 0 }, { room: 'lobby', limit: 1.5 }, { room: 'lobby', limit: '5' }, { room: 'lobby', limit: 1e300 }];
    for (const g of garbage) ws.send({ type: 'history', ...g });
    await ws.until(() => ws.frames.filter(of('error')).length === errors + garbage.length);
    assert.deepEqual(new Set(ws.frames.filter(of('error')).slice(errors).map((f) => f.code)), new Set(['bad-message']));
    assert.deepEqual((await historyPage(ws, { room: 'dev', limit: 5 })).texts, []);
    assert.equal(ws.closeCode, undefined);
    ws.close();
    text.destroy();
  } finally {
    await server.stop();
  }
});


test('IRC over WebSocket (text.ircv3.net): a web IRC client registers, joins #lobby and chats with a text user', async () => {
  const { server, web } = await webServer();
  try {
    const text = await TestClient.login(server.port, 'user1');
    const irc = new WebSocket(`ws://127.0.0.1:${web}/ws`, ['text.ircv3.net']);
    const frames: string[] = [];
    irc.on('message', (d) => frames.push(d.toString()));
    await once(irc, 'open');
    assert.equal(irc.protocol, 'text.ircv3.net');
    const waitFrame = (re: RegExp) => waitUntil(() => frames.some((f) => re.test(f)), () => `no frame ${re}; got ${JSON.stringify(frames)}`);
    for (const line of ['PASS user3p', 'NICK user3', 'USER user3 0 * :web user']) irc.send(line);
    await waitFrame(/^:\S+ 001 user3 /);
    await waitFrame(/^:user3!\S+ JOIN #lobby$/);
    assert.ok(frames.every((f) => !f.includes('\r') && !f.includes('\n')), 'one line per frame, without CRLF');
    text.send('hi irc\n');
    await waitFrame(/^:user1!\S+ PRIVMSG #lobby :hi irc$/);
    irc.send('PRIVMSG #lobby :hello from a web IRC client');
    await text.waitFor('user3: hello from a web IRC client\n');
    irc.send('QUIT :bye');
    await text.waitFor('user3 left the chat.\n');
    text.destroy();
  } finally {
    await server.stop();
  }
});
