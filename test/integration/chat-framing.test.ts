import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient, leave } from '../helpers/client.js';

let server: ServerProc;
before(async () => {
  server = await startServer(['--flood-rate', '0']);
});
after(async () => {
  await server.stop();
});

async function pair(): Promise<[TestClient, TestClient]> {
  const a = await TestClient.login(server.port, 'user1');
  const b = await TestClient.login(server.port, 'user2');
  await a.waitFor('user2 joined the chat.\n');
  return [a, b];
}

test('a line delivered one byte at a time arrives as one line', async () => {
  const [a, b] = await pair();
  for (const byte of Buffer.from('slow typist ✓\n')) {
    a.send(Buffer.from([byte]));
    // Pacing, not a wait for anything: it makes separate segments likely. The assertion holds
    // whether or not the bytes coalesce, so a busy machine cannot make this fail.
    await sleep(2);
  }
  await b.waitFor('user1: slow typist ✓\n');
  await leave(a, b);
});

test('a UTF-8 character split across segments decodes correctly; CRLF and LF both end lines', async () => {
  const [a, b] = await pair();
  const bytes = Buffer.from('héllo wörld 👋\r\nsecond\n');
  const cut = bytes.indexOf(Buffer.from('👋')) + 2; // in the middle of the emoji
  a.send(bytes.subarray(0, cut));
  await sleep(20); // pacing only, as above: nothing is sent back for half a line, so there is no event
  a.send(bytes.subarray(cut));
  await b.waitFor('user1: héllo wörld 👋\nuser1: second\n');
  await leave(a, b);
});

test('100 lines in one write all arrive, in order', async () => {
  const [a, b] = await pair();
  const lines = Array.from({ length: 100 }, (_, i) => `msg ${i}`);
  a.send(lines.join('\n') + '\n');
  await b.waitFor('user1: msg 99\n');
  const got = b.lines.filter((l) => l.startsWith('user1: msg ')).map((l) => l.slice('user1: '.length));
  assert.deepEqual(got, lines);
  await leave(a, b);
});

test('a 1 MiB line with no newline is refused once, never relayed, and the session carries on', async () => {
  const [a, b] = await pair();
  a.send(Buffer.alloc(1 << 20, 0x61));
  await a.waitFor('[SERVER] Line too long (max 4096 bytes).\n');
  a.send('\nafter the flood\n');
  await b.waitFor('user1: after the flood\n');
  assert.ok(!b.text.includes('aaaa'), 'no part of the long line is relayed');
  assert.equal(a.text.split('Line too long').length - 1, 1, 'one refusal per long line');
  await leave(a, b);
});

test('invalid UTF-8 is replaced, not fatal', async () => {
  const [a, b] = await pair();
  a.send(Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' bytes\n')]));
  await b.waitFor(/user1: bad \uFFFD+ bytes\n/);
  a.send('fine\n');
  await b.waitFor('user1: fine\n');
  await leave(a, b);
});

test('terminal escapes and control characters are stripped before relaying', async () => {
  const [a, b] = await pair();
  a.send('\x1b[2J\x1b[31mred\x1b[0m \x07bell\x1b]0;title\x07 and\rCR\n');
  await b.waitFor('user1: red bell andCR\n');
  await leave(a, b);
});

test('a client that frames like the seed (no newlines, one send per message) can log in, chat, whisper and leave', async () => {
  const other = await TestClient.login(server.port, 'user2');
  const seed = await TestClient.connect(server.port);
  await seed.waitFor('Enter username: ');
  seed.send('user3');
  await seed.waitFor('Enter password: ');
  seed.send('user3p');
  await seed.waitFor("Welcome user3! Type 'exit' to leave.\n");
  await other.waitFor('user3 joined the chat.\n');
  seed.send('Hello everyone');
  // Received, so the server has read that chunk: the next send cannot join it in one read.
  await other.waitFor('user3: Hello everyone\n');
  seed.send('@user2 psst');
  await other.waitFor('[PRIVATE] user3: psst\n');
  other.send('hi seed\n');
  await seed.waitFor('user2: hi seed\n');
  seed.close(); // the seed client's `exit` just closes its socket
  await other.waitFor('user3 left the chat.\n');
  await leave(other);
});
