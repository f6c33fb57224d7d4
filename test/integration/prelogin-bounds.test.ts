import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { clientFrame, RawWs } from '../helpers/raw-ws.js';
import { DEFAULTS } from '../../src/core/limits.js';

// What a client with no account could do to the server's memory before these bounds (issue 18):
// endless empty WebSocket continuation frames, and answers written for a client that never reads.
// Every case is driven with raw bytes over real sockets and asserted on the wire.

const TEXT = 0x1;
const CONTINUATION = 0x0;

/** A server with the web and IRC listeners on free ports. */
async function servers(args: string[] = []): Promise<{ server: ServerProc; web: number; irc: number }> {
  const server = await startServer(['--http-port', '0', '--irc-port', '0', '--server-name', 'irc.test', '--notice-delay', '0', ...args]);
  const web = Number(/:(\d+)\/$/.exec(await server.waitForLog(/^Web client on http:\/\/127\.0\.0\.1:\d+\/$/))![1]);
  const irc = Number(/:(\d+) /.exec(await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /))![1]);
  return { server, web, irc };
}

/** A text message begun and never finished: one fragment, then `n` empty continuation frames (6 bytes each). */
function endlessMessage(n: number): Buffer {
  const empty = clientFrame(CONTINUATION, Buffer.alloc(0), false);
  return Buffer.concat([clientFrame(TEXT, Buffer.from('x'), false), ...Array<Buffer>(n).fill(empty)]);
}

/**
 * Writes `unit` over and over in chunks of about 1 MiB without reading anything, until the server
 * logs `re` (it closed the connection) or `maxMiB` have gone; returns the log line, if any. Each
 * write completes once the kernel took it, that is once the server has read most of it.
 */
async function floodUntilLogged(write: (chunk: Buffer) => Promise<void>, unit: Buffer, server: ServerProc, re: RegExp, maxMiB = 16): Promise<string | undefined> {
  const chunk = Buffer.concat(Array<Buffer>(Math.ceil((1 << 20) / unit.length)).fill(unit));
  for (let i = 0; i < maxMiB; i++) {
    const seen = server.lines.find((l) => re.test(l));
    if (seen !== undefined) return seen;
    await write(chunk);
  }
  return server.lines.find((l) => re.test(l));
}

const SENDQ_LOG = /^\[SENDQ EXCEEDED\] \('127\.0\.0\.1', \d+\) before login: (\d+) bytes unsent$/;

/** The unsent bytes the server's log line reports, checked against --queue-bytes plus one answer. */
function assertHeldBounded(line: string | undefined, queueBytes: number, answer: number): void {
  assert.ok(line !== undefined, 'the server never closed the client that does not read');
  const held = Number(SENDQ_LOG.exec(line)![1]);
  assert.ok(held > queueBytes && held <= queueBytes + answer, `held ${held} bytes for it (--queue-bytes ${queueBytes})`);
}

test('endless empty continuation frames close the connection with 1008 after a bounded number: JSON and IRC over WebSocket, before and after login', async () => {
  const { server, web } = await servers();
  try {
    const text = await TestClient.login(server.port, 'user1');
    const cases: Array<{ name: string; subprotocol?: string; login?: (ws: RawWs) => Promise<void> }> = [
      { name: 'JSON, not logged in' },
      {
        name: 'JSON, logged in',
        login: async (ws) => {
          ws.text(JSON.stringify({ type: 'login', user: 'user2', password: 'user2p' }));
          await ws.waitText(/^\{"type":"presence"/);
        },
      },
      { name: 'IRC, not registered', subprotocol: 'text.ircv3.net' },
      {
        name: 'IRC, registered',
        subprotocol: 'text.ircv3.net',
        login: async (ws) => {
          for (const line of ['PASS user3p', 'NICK user3', 'USER user3 0 * :user3']) ws.text(line);
          await ws.waitText(/^:\S+ 366 user3 #lobby /);
        },
      },
    ];
    for (const c of cases) {
      const ws = await RawWs.open(web, c.subprotocol);
      await c.login?.(ws);
      // 10,000 frames, 60 KB: far past the limit of DEFAULTS.wsMaxFragments frames per message.
      ws.send(endlessMessage(10_000));
      assert.equal(await ws.waitClosed(), 1008, c.name);
    }
    await text.waitFor('user2 left the chat.\n');
    await text.waitFor('user3 left the chat.\n');
    await server.waitForLog(/^\[WS PROTOCOL ERROR\] 127\.0\.0\.1: Message in too many fragments$/);
    await server.waitForLog(/^\[WS PROTOCOL ERROR\] user2: Message in too many fragments$/);
    // A message in exactly the most fragments allowed still arrives.
    const ok = await RawWs.open(web);
    ok.text(JSON.stringify({ type: 'login', user: 'user4', password: 'user4p' }));
    await ok.waitText(/^\{"type":"presence"/);
    const frames = [clientFrame(TEXT, Buffer.from('{"type":"say","room":"lobby",'), false)];
    for (let i = 2; i < DEFAULTS.wsMaxFragments; i++) frames.push(clientFrame(CONTINUATION, Buffer.alloc(0), false));
    frames.push(clientFrame(CONTINUATION, Buffer.from('"text":"in 64 pieces"}')));
    ok.send(Buffer.concat(frames));
    await text.waitFor('user4: in 64 pieces\n');
    text.destroy();
  } finally {
    await server.stop();
  }
});

test('a WebSocket client not logged in that floods bad frames and never reads gets three errors, then 1008: nothing more is written for it', async () => {
  const { server, web } = await servers();
  try {
    const ws = await RawWs.open(web);
    ws.socket.pause();
    // 10,000 frames `1`, each once answered with a ~70-byte "Expected a JSON object." error.
    await ws.write(Buffer.concat(Array<Buffer>(10_000).fill(clientFrame(TEXT, Buffer.from('1')))));
    ws.socket.resume();
    assert.equal(await ws.waitClosed(), 1008);
    assert.deepEqual(
      ws.texts.map((t) => (JSON.parse(t) as { type: string; code?: string }).code ?? 'hello'),
      ['hello', 'bad-message', 'bad-message', 'bad-message'],
    );
    await server.waitForLog(/^\[WS PROTOCOL ERROR\] 127\.0\.0\.1: 3 bad messages before login$/);
  } finally {
    await server.stop();
  }
});

test('IRC over WebSocket before registration, never reading: closed SENDQ_EXCEEDED with ERROR, holding at most --queue-bytes and one answer', async () => {
  const queueBytes = 4096;
  const { server, web } = await servers(['--queue-bytes', String(queueBytes)]);
  try {
    const ws = await RawWs.open(web, 'text.ircv3.net');
    ws.socket.pause();
    // Unknown commands, each answered with a 421 frame of about 45 bytes.
    const line = await floodUntilLogged((chunk) => ws.write(chunk), clientFrame(TEXT, Buffer.from('FOO')), server, SENDQ_LOG);
    ws.socket.resume();
    assertHeldBounded(line, queueBytes, 512);
    await ws.waitClosed();
    // Read in time, the last frames are the ERROR and the close; a reader later than the server's linger gets a reset.
    if (!ws.reset) {
      assert.equal(ws.texts.at(-1), 'ERROR :Closing link: SendQ exceeded');
      assert.equal(ws.closeCode, 1000);
    }
    const other = await RawWs.open(web, 'text.ircv3.net');
    for (const l of ['PASS user2p', 'NICK user2', 'USER user2 0 * :user2']) other.text(l);
    await other.waitText(/^:\S+ 001 user2 /);
    other.socket.destroy();
  } finally {
    await server.stop();
  }
});

test('the text protocol before login, never reading: empty lines get prompts until --queue-bytes, then the connection is closed SENDQ_EXCEEDED', async () => {
  const queueBytes = 4096;
  const { server } = await servers(['--queue-bytes', String(queueBytes)]);
  try {
    const c = await TestClient.connect(server.port);
    let reset = false;
    c.socket.once('error', () => (reset = true));
    c.socket.pause();
    // Each empty line is answered with `Enter username: ` (16 bytes for 1).
    const write = (chunk: Buffer) => new Promise<void>((resolve) => c.socket.write(chunk, () => resolve()));
    const line = await floodUntilLogged(write, Buffer.from('\n'), server, SENDQ_LOG);
    c.socket.resume();
    assertHeldBounded(line, queueBytes, 16);
    await c.waitClosed();
    if (!reset) assert.ok(c.text.endsWith('Enter username: [SERVER] Disconnected: send queue exceeded.\n'), c.text.slice(-100));
    const other = await TestClient.login(server.port, 'user1');
    other.destroy();
  } finally {
    await server.stop();
  }
});

test('a line arriving one byte per write is still the same line, on the text protocol and on IRC', async () => {
  const { server, irc } = await servers();
  try {
    const text = await TestClient.login(server.port, 'user1');
    const ircUser = await TestClient.connect(irc);
    ircUser.send('PASS user2p\r\nNICK user2\r\nUSER user2 0 * :user2\r\n');
    await ircUser.waitFor(/ 366 user2 #lobby :End of \/NAMES list\r\n/);
    await text.waitFor('user2 joined the chat.\n');
    const byteByByte = async (c: TestClient, bytes: string) => {
      c.socket.setNoDelay(true);
      for (const b of Buffer.from(bytes)) await new Promise<void>((resolve) => c.socket.write(Buffer.of(b), () => resolve()));
    };
    await byteByByte(ircUser, 'PRIVMSG #lobby :héllo, one byte at a time\r\n');
    await text.waitFor('user2: héllo, one byte at a time\n');
    await byteByByte(text, 'and back, ünicode too\n');
    await ircUser.waitFor(/:user1!\S+ PRIVMSG #lobby :and back, ünicode too\r\n/);
    ircUser.destroy();
    text.destroy();
  } finally {
    await server.stop();
  }
});
