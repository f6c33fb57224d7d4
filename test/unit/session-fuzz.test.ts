import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fragment } from '../helpers/fragment.js';
import { waitUntil } from '../helpers/wait.js';
import { FakeTransport as SharedFakeTransport } from '../helpers/fake-transport.js';
import type { Logger } from '../../src/core/log.js';
import { stripControls } from '../../src/core/sanitize.js';
import { defaultConfig, type ServerConfig } from '../../src/server/config.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { TextSession } from '../../src/protocols/text/session.js';

// The login/command state machine without sockets: TextSession driven through a fake Transport,
// with the real hub, accounts and throttle of an in-process server (its listener is never used).

/** The fake transport, driving a TextSession. */
class FakeTransport extends SharedFakeTransport<TextSession> {}

/** A logger that keeps errors, so a test can assert that no input caused an internal error. */
function recordingLogger() {
  const errors: string[] = [];
  const events: string[] = [];
  const log: Logger = {
    event: (tag, text) => events.push(`[${tag}] ${text}`),
    message: () => {},
    error: (tag, text) => errors.push(`[${tag}] ${text}`),
  };
  return { log, errors, events };
}

function fuzzConfig(): ServerConfig {
  return {
    ...defaultConfig(),
    port: 0,
    // Large queues and no flood control: the model below expects every message delivered.
    queueSize: 1_000_000,
    queueBytes: 1 << 30,
    floodRate: 0,
    statsIntervalS: 0,
    httpPort: null, ircPort: null,
    // No seed-client detection mid-test: a partial username stays a partial line.
    legacyQuietMs: 10_000,
  };
}

/** Password checks in flight: a check may run on the thread pool (scrypt) and end whenever it gets to it. */
let verifying = 0;

async function withServer(fn: (server: ChatServer, rec: ReturnType<typeof recordingLogger>) => Promise<void>): Promise<void> {
  const rec = recordingLogger();
  const server = await startChatServer(fuzzConfig(), rec.log);
  const verify = server.ctx.accounts.verify.bind(server.ctx.accounts);
  server.ctx.accounts.verify = (name, password) => {
    verifying++;
    const result = verify(name, password);
    // Registered before the session's own handler, so that handler has run by the time a waiter sees 0.
    void result.finally(() => verifying--).catch(() => {});
    return result;
  };
  try {
    await fn(server, rec);
  } finally {
    await server.close();
  }
}

let nextPort = 1;
function open(server: ChatServer, ip = '192.0.2.1'): FakeTransport {
  const t = new FakeTransport(ip, nextPort++);
  t.session = new TextSession(t, server.ctx, server.config);
  return t;
}

/**
 * Resolves once the input given so far has been handled completely: no password check in flight,
 * everything queued for these sessions handed to their transports, and a connection the session
 * ended reported closed to it. Arbitrary input has no single line to wait for, so this waits for
 * the state in which nothing more can happen without new input.
 */
async function quiet(...ts: FakeTransport[]): Promise<void> {
  await waitUntil(
    () => verifying === 0 && ts.every((t) => (t.code === undefined || t.sessionClosed) && (!t.session.loggedIn || t.session.outbox.depth === 0)),
    () => `still busy: ${verifying} password checks in flight; output so far: ${JSON.stringify(ts.map((t) => t.text))}`,
  );
}

async function login(server: ChatServer, user: string): Promise<FakeTransport> {
  const t = open(server);
  t.session.data(Buffer.from(`${user}\n${user}p\n`));
  await t.waitFor(`Welcome ${user}!`);
  return t;
}

/** Ends the sessions as `exit` would and waits until each has been told its connection closed. */
async function quitAll(...ts: FakeTransport[]): Promise<void> {
  for (const t of ts) t.session.quit('CLIENT_EXIT');
  for (const t of ts) await t.waitClosed();
}

/** Nothing the server writes may carry a control character other than LF and TAB. */
const UNSAFE_OUT = /[\x00-\x08\x0b-\x1f\x7f-\u009f]/;

const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('\x1b[2J', '\x1b]0;x\x07', '\r', '\x00', '\u009b31m', '[SERVER] ', 'user2: ', '\t', ' ', 'ü', '🙂'),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join('').replace(/\n/g, ''));

test('property: random bytes in any state never throw, never cause an internal error, never echo a control character', async () => {
  await withServer(async (server, rec) => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), hostileText.map((s) => Buffer.from(`${s}\n`))), { maxLength: 20 }),
        async (loggedIn, chunks) => {
          // Random input may fail logins; its own address keeps the throttle away from login()'s.
          const t = loggedIn ? await login(server, 'user4') : open(server, `192.0.2.${2 + (nextPort % 250)}`);
          try {
            for (const c of chunks) t.session.data(Buffer.from(c));
            await quiet(t);
            assert.deepEqual(rec.errors, []);
            assert.ok(!UNSAFE_OUT.test(t.text), JSON.stringify(t.text));
          } finally {
            await quitAll(t);
          }
          assert.equal(server.ctx.hub.size, 0, 'the session left the hub');
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** One client action in the interleaving test. */
type Action =
  | { kind: 'say'; text: string }
  | { kind: 'private'; to: number; text: string }
  | { kind: 'join'; room: string }
  | { kind: 'me'; text: string }
  | { kind: 'query'; line: string };

const USERS = ['user1', 'user2', 'user3'];
const ROOMS = ['lobby', 'r1', 'r2', 'bad room!', '#r1'];

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: hostileText.map((text) => ({ kind: 'say' as const, text: `m${text}` })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('private' as const), to: fc.integer({ min: 0, max: 3 }), text: hostileText }) },
  { weight: 2, arbitrary: fc.constantFrom(...ROOMS).map((room) => ({ kind: 'join' as const, room })) },
  { weight: 1, arbitrary: hostileText.map((text) => ({ kind: 'me' as const, text })) },
  { weight: 1, arbitrary: fc.constantFrom('/who', '/rooms', '/help', '/nope', '@', '@user2', '', '   ').map((line) => ({ kind: 'query' as const, line })) },
);

function lineOf(a: Action): string {
  switch (a.kind) {
    case 'say':
      return a.text;
    case 'private':
      return `@${a.to < USERS.length ? USERS[a.to] : 'nobody'} ${a.text}`;
    case 'join':
      return `/join ${a.room}`;
    case 'me':
      return `/me ${a.text}`;
    case 'query':
      return a.line;
  }
}

/**
 * The hub's observable behaviour as a model: what each user should receive, apart from [SERVER]
 * lines, after `from` sends the line of `a`. Mirrors docs/PROTOCOL.md, using the server's own
 * stripControls (tested on its own in sanitize.test.ts).
 */
function apply(rooms: string[], inbox: string[][], from: number, a: Action): void {
  const me = USERS[from]!;
  const others = (room: string) => USERS.map((_, i) => i).filter((i) => i !== from && rooms[i] === room);
  switch (a.kind) {
    case 'say': {
      const text = stripControls(a.text).trim();
      for (const i of others(rooms[from]!)) inbox[i]!.push(`${me}: ${text}`);
      return;
    }
    case 'private': {
      const body = stripControls(a.text).trim();
      if (body !== '' && a.to < USERS.length) inbox[a.to]!.push(`[PRIVATE] ${me}: ${body}`);
      return;
    }
    case 'join': {
      const room = a.room.replace(/^#/, '');
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(room) || room === rooms[from]) return;
      for (const i of others(rooms[from]!)) inbox[i]!.push(`${me} left room ${rooms[from]}.`);
      rooms[from] = room;
      for (const i of others(room)) inbox[i]!.push(`${me} joined room ${room}.`);
      return;
    }
    case 'me': {
      const text = stripControls(a.text).trim();
      if (text !== '') for (const i of others(rooms[from]!)) inbox[i]!.push(`* ${me} ${text}`);
      return;
    }
    case 'query':
      return;
  }
}

type Step = { who: number; action: Action; cuts: number[] };

/**
 * Sends each user's lines, cut into fragments, with the fragments of all users interleaved in the
 * given random order (each user's own order kept, as TCP does per connection), and checks that every
 * user received exactly what the model says.
 */
async function interleave(server: ChatServer, clients: FakeTransport[], errors: string[], steps: Step[], order: number[]): Promise<void> {
  const before = clients.map((c) => c.lines.length);
  const queues = USERS.map(() => [] as Array<{ bytes: Buffer; completes: Action | undefined }>);
  for (const { who, action: a, cuts } of steps) {
    const parts = fragment(Buffer.from(`${lineOf(a)}\n`), cuts);
    parts.forEach((bytes, i) => queues[who]!.push({ bytes, completes: i === parts.length - 1 ? a : undefined }));
  }
  const rooms = USERS.map(() => 'lobby');
  const inbox = USERS.map(() => [] as string[]);
  let k = 0;
  while (queues.some((q) => q.length > 0)) {
    const live = queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
    const who = live[(order[k++ % Math.max(order.length, 1)] ?? 0) % live.length]!;
    const frag = queues[who]!.shift()!;
    clients[who]!.session.data(frag.bytes);
    // A line is handled when its last byte arrives, so the model advances at the same moment.
    if (frag.completes) apply(rooms, inbox, who, frag.completes);
  }
  // What the notice timer would do a moment later.
  server.ctx.hub.flushNotices();
  await quiet(...clients);
  assert.deepEqual(errors, []);
  for (let i = 0; i < USERS.length; i++) {
    const got = clients[i]!.lines.slice(before[i]).filter((l) => !l.startsWith('[SERVER] '));
    assert.deepEqual(got, inbox[i], `what ${USERS[i]} received`);
    assert.ok(!UNSAFE_OUT.test(clients[i]!.text));
  }
}

test('property: interleaved, fragmented input from several users: every line handled once, in order, nothing forged', async () => {
  await withServer(async (server, rec) => {
    const step: fc.Arbitrary<Step> = fc.record({ who: fc.integer({ min: 0, max: USERS.length - 1 }), action, cuts: fc.array(fc.nat(), { maxLength: 4 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 60 }), async (steps, order) => {
        const clients: FakeTransport[] = [];
        for (const u of USERS) clients.push(await login(server, u));
        // The join notices go now, before the run's own lines are counted.
        server.ctx.hub.flushNotices();
        await quiet(...clients);
        try {
          await interleave(server, clients, rec.errors, steps, order);
        } finally {
          // Also after a failed run, so that shrinking starts every run from an empty hub.
          await quitAll(...clients);
        }
        assert.equal(server.ctx.hub.size, 0);
      }),
      { numRuns: 120 },
    );
  });
});

interface Attempt {
  name: string;
  password: string;
  crlf: boolean;
  cuts: number[];
}

/** At most one login outcome is ever shown, and a refusal closes the connection. */
function checkLoginOutcome(t: FakeTransport, server: ChatServer, errors: string[]): void {
  assert.deepEqual(errors, []);
  const text = t.text;
  const outcomes = [/Welcome \S+! Type 'exit' to leave\.\n/, /Invalid credentials\. Connection closed\.\n/, /Invalid username: .* Connection closed\.\n/, /Username already logged in/];
  const seen = outcomes.filter((re) => re.test(text));
  assert.ok(seen.length <= 1, `more than one outcome: ${JSON.stringify(text)}`);
  const welcomed = /Welcome/.test(text);
  if (seen.length === 1 && !welcomed) assert.notEqual(t.code, undefined, 'a refused login closes the connection');
  assert.equal(server.ctx.hub.size, welcomed ? 1 : 0);
  assert.ok(!UNSAFE_OUT.test(text));
}

test('property: the login exchange under random fragmentation ends in at most one outcome', async () => {
  await withServer(async (server, rec) => {
    const attempt: fc.Arbitrary<Attempt> = fc.record({
      name: fc.oneof(fc.constantFrom('user1', 'user2', 'user3', 'nobody', 'bad name', 'x'.repeat(33), '', '\x1b[2J'), fc.string({ maxLength: 10 })),
      password: fc.oneof(fc.constantFrom('right', 'wrong', ''), fc.string({ maxLength: 10 })),
      crlf: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 4 }), async (attempts) => {
        // A fresh address per run, so the throttle (tested on its own) does not decide outcomes here.
        const t = open(server, `198.51.100.${nextPort % 250}`);
        const eol = attempts[0]!.crlf ? '\r\n' : '\n';
        const input = attempts.map((a) => `${a.name}${eol}${a.password === 'right' ? `${a.name}p` : a.password}${eol}`).join('');
        try {
          for (const part of fragment(Buffer.from(input), attempts.flatMap((a) => a.cuts))) t.session.data(part);
          await quiet(t);
          checkLoginOutcome(t, server, rec.errors);
        } finally {
          await quitAll(t);
        }
        assert.equal(server.ctx.hub.size, 0);
      }),
      { numRuns: 300 },
    );
  });
});

test('an exception while handling one line: that user gets [SERVER] Internal error., the error is logged with context, everyone carries on', async () => {
  await withServer(async (server, rec) => {
    const a = await login(server, 'user1');
    const b = await login(server, 'user2');
    const hub = server.ctx.hub;
    const say = hub.say.bind(hub);
    hub.say = (from, room, text) => {
      if (text === 'boom') throw new Error('injected failure');
      return say(from, room, text);
    };
    a.session.data(Buffer.from('boom\nstill here\n'));
    await a.waitFor('[SERVER] Internal error.\n');
    await b.waitFor('user1: still here\n');
    assert.ok(a.lines.includes('[SERVER] Internal error.'));
    assert.equal(a.code, undefined, 'the session stays open');
    assert.ok(b.lines.includes('user1: still here'));
    assert.equal(rec.errors.length, 1);
    assert.match(rec.errors[0]!, /while handling input from user1: Error: injected failure/);
    await quitAll(a, b);
  });
});

test('a throttled address is refused before its password is checked, on a new connection too', async () => {
  await withServer(async (server, rec) => {
    const ip = '203.0.113.7';
    for (let i = 0; i < 5; i++) {
      const t = open(server, ip);
      t.session.data(Buffer.from('user1\nwrong\n'));
      await t.waitClosed();
      assert.match(t.text, /Invalid credentials\. Connection closed\.\n$/);
    }
    const verify = server.ctx.accounts.verify.bind(server.ctx.accounts);
    let verified = 0;
    server.ctx.accounts.verify = (name, password) => {
      verified++;
      return verify(name, password);
    };
    const t = open(server, ip);
    t.session.data(Buffer.from('user1\nuser1p\n'));
    await t.waitClosed();
    assert.match(t.text, /Too many failed logins\. Try again in 60 seconds\. Connection closed\.\n$/);
    assert.equal(t.code, 'AUTH_THROTTLED');
    assert.equal(verified, 0, 'the password was not checked');
    assert.ok(rec.events.some((e) => /^\[AUTH THROTTLED\] user1 from \('203\.0\.113\.7', \d+\)$/.test(e)));
    const other = open(server, '203.0.113.8');
    other.session.data(Buffer.from('user1\nuser1p\n'));
    await other.waitFor('Welcome user1!');
    await quitAll(other);
  });
});

test('a login that fails after its connection is gone still counts toward the throttle', async () => {
  await withServer(async (server) => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 5; i++) {
      const t = open(server, ip);
      t.session.data(Buffer.from('user1\nwrong\n'));
      // Hang up before the verification finishes.
      t.session.closed('PEER_CLOSED');
      // Nothing reaches the user any more: wait for the check itself to finish.
      await quiet();
    }
    const t = open(server, ip);
    t.session.data(Buffer.from('user1\nuser1p\n'));
    await t.waitClosed();
    assert.match(t.text, /Too many failed logins/);
  });
});
