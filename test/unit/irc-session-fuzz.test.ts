import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Logger } from '../../src/core/log.js';
import { defaultConfig } from '../../src/server/config.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { ircProtocol } from '../../src/protocols/irc/protocol.js';
import type { Protocol } from '../../src/core/transport.js';
import type { CoreSession } from '../../src/core/session-core.js';
import { FakeTransport } from '../helpers/fake-transport.js';

// The IRC session under random input: command lines with random params, random bytes, NULs, cut
// anywhere. Never an internal error, never a malformed line out, and a bystander keeps chatting.

const COMMANDS = ['CAP', 'NICK', 'USER', 'PASS', 'AUTHENTICATE', 'PING', 'PONG', 'JOIN', 'PART', 'PRIVMSG', 'NOTICE', 'TAGMSG', 'TOPIC', 'AWAY', 'NAMES', 'WHO', 'WHOIS', 'MODE', 'LIST', 'MOTD', 'LUSERS', 'ISON', 'USERHOST', 'VERSION', 'TIME', 'KICK', 'FOO'];
const param = fc.oneof(
  fc.constantFrom('#lobby', '#dev', '#', 'lobby', 'user1', 'user2', '*', '0', 'LS', 'REQ', 'END', 'PLAIN', '+', 'b', '+o', '302', 'sasl server-time', '\x01ACTION x\x01'),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n ]/g, '')),
);
const line = fc.oneof(
  fc.tuple(fc.constantFrom(...COMMANDS), fc.array(param, { maxLength: 4 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined })).map(([c, ps, t]) => {
    const mid = ps.filter((p) => p !== '' && !p.startsWith(':')).join(' ');
    return `${c}${mid === '' ? '' : ` ${mid}`}${t === undefined ? '' : ` :${t.replace(/[\r\n]/g, '')}`}`;
  }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1').replace(/[\r\n]/g, '')),
);

function errorsLogger(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  return { errors, log: { event() {}, message() {}, error: (tag, text) => errors.push(`[${tag}] ${text}`) } };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

let nextPort = 1;
function connect(irc: Protocol): FakeTransport {
  const t = new FakeTransport('192.0.2.9', nextPort++);
  t.session = irc.createSession(t);
  return t;
}

/** Every line out is CRLF-terminated, holds no NUL or bare CR/LF, and is a server line, an event, ERROR or a SASL step. */
function assertWellFormed(text: string): void {
  const lines = text.split('\r\n');
  assert.equal(lines.pop(), '', 'ends with CRLF');
  for (const l of lines) {
    assert.ok(!/[\0\r\n]/.test(l), JSON.stringify(l));
    assert.match(l, /^(@time=\S+ )?:\S+ [A-Z0-9]+( |$)|^ERROR :|^AUTHENTICATE \+$|^PING :/, JSON.stringify(l));
  }
}

test('property: random command lines and bytes, before and after registration, never break the session or the line format', async () => {
  const { log, errors } = errorsLogger();
  const server: ChatServer = await startChatServer({ ...defaultConfig(), port: 0, floodRate: 0, statsIntervalS: 0, noticeDelayMs: 0, httpPort: null, ircPort: null }, log);
  const irc = ircProtocol(server.ctx, { serverName: 'irc.test', network: 'chatd', version: 'v', createdAt: 'now', loginTimeoutMs: 60_000, pingIntervalMs: 60_000, maxRoomsPerUser: 20 });
  try {
    const bystander = connect(irc);
    bystander.session.data(Buffer.from('PASS user2p\r\nNICK user2\r\nUSER u 0 * :u\r\n'));
    await bystander.waitFor(' 366 user2 #lobby ');
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { minLength: 1, maxLength: 25 }), fc.array(fc.nat(), { maxLength: 5 }), async (registered, lines, cuts) => {
        const t = connect(irc);
        if (registered) {
          t.session.data(Buffer.from('PASS user1p\r\nNICK user1\r\nUSER u 0 * :u\r\n'));
          await t.waitFor(' 366 user1 #lobby ');
        }
        const bytes = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
        let at = 0;
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1)), bytes.length].sort((a, b) => a - b)) {
          t.session.data(bytes.subarray(at, cut));
          at = cut;
          await settle();
        }
        await settle();
        assertWellFormed(t.text);
        assert.deepEqual(errors, []);
        t.session.data(Buffer.from('QUIT\r\n'));
        await settle();
        if (t.code === undefined) t.destroy('PEER_CLOSED');
        await t.waitClosed();
        await settle();
      }),
      { numRuns: 60 },
    );
    // The bystander saw only well-formed lines and still chats.
    bystander.session.data(Buffer.from('PING :alive\r\n'));
    await bystander.waitFor(':irc.test PONG irc.test alive\r\n');
    assertWellFormed(bystander.text);
  } finally {
    await server.close();
  }
});

test('keepalive: a silent registered client gets PING, and ERROR with PING_TIMEOUT when it stays silent; any input answers', async () => {
  const server: ChatServer = await startChatServer({ ...defaultConfig(), port: 0, floodRate: 0, statsIntervalS: 0, httpPort: null, ircPort: null }, errorsLogger().log);
  // A long interval: the test drives the checks itself, so nothing depends on how fast it runs.
  const irc = ircProtocol(server.ctx, { serverName: 'irc.test', network: 'chatd', version: 'v', createdAt: 'now', loginTimeoutMs: 60_000, pingIntervalMs: 600_000, maxRoomsPerUser: 20 });
  try {
    const t = connect(irc);
    const pings = (t.session as CoreSession).core.pings!;
    t.session.data(Buffer.from('PASS user3p\r\nNICK user3\r\nUSER u 0 * :u\r\n'));
    await t.waitFor(' 366 user3 #lobby ');
    pings.check(); // input since the start: no ping
    assert.ok(!t.text.includes('PING :'));
    pings.check(); // silent for an interval: a ping
    await t.waitFor('PING :irc.test\r\n');
    t.session.data(Buffer.from('PONG :irc.test\r\n'));
    pings.check(); // answered: no close, no second ping yet
    pings.check(); // silent again: a ping
    await t.waitFor(/PING :irc\.test\r\n[^]*PING :irc\.test\r\n/);
    pings.check(); // still silent: closed
    await t.waitFor('ERROR :Closing link: Ping timeout: 600 seconds\r\n');
    await t.waitClosed();
    assert.equal(t.code, 'PING_TIMEOUT');
  } finally {
    await server.close();
  }
});
