import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Account, AccountStore } from '../../src/core/accounts.js';
import type { Logger } from '../../src/core/log.js';
import { defaultConfig, type ServerConfig } from '../../src/server/config.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { TextSession } from '../../src/protocols/text/session.js';
import { FakeTransport } from '../helpers/fake-transport.js';

// Regression tests for the review's login defects: password checks in flight (2), a throw while
// admitting a login (4), and logins, input and timers after shutdown has begun (5).

/** Accounts whose checks finish only when the test says so; `right` passwords are `<name>p`. */
class ManualAccounts implements AccountStore {
  readonly description = 'manual';
  readonly started: Array<{ name: string; finish: () => void }> = [];
  /** When true, checks finish at once. */
  instant = false;

  accountName(name: string): string | undefined {
    return /^user[1-4]$/.test(name) ? name : undefined;
  }

  verify(name: string, password: string): Promise<Account | null> {
    const result = password === `${name}p` ? { name, admin: name === 'user1' } : null;
    if (this.instant) return Promise.resolve(result);
    return new Promise((resolve) => this.started.push({ name, finish: () => resolve(result) }));
  }
}

function recordingLogger(throwOn?: RegExp) {
  const lines: string[] = [];
  const log: Logger = {
    event: (tag, text) => {
      const line = `[${tag}] ${text}`;
      if (throwOn?.test(line)) {
        throwOn = undefined;
        throw new Error('injected logger failure');
      }
      lines.push(line);
    },
    message: (tag, text) => lines.push(`[${tag}] ${text}`),
    error: (tag, text) => lines.push(`[${tag}] ${text}`),
  };
  return { log, lines };
}

async function withServer(accounts: AccountStore, log: Logger, fn: (server: ChatServer) => Promise<void>, extra: Partial<ServerConfig> = {}): Promise<void> {
  const server = await startChatServer({ ...defaultConfig(), port: 0, floodRate: 0, statsIntervalS: 0, noticeDelayMs: 0, httpPort: null, ircPort: null, ...extra }, log, accounts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

let port = 1;
function connect(server: ChatServer, ip = '192.0.2.1'): FakeTransport {
  const t = new FakeTransport(ip, port++);
  t.session = new TextSession(t, server.ctx, server.config);
  return t;
}

test('password checks in flight are bounded per address, fair between addresses, and dropped when their client hung up', async () => {
  const accounts = new ManualAccounts();
  await withServer(accounts, recordingLogger().log, async (server) => {
    const flood = Array.from({ length: 10 }, () => connect(server, '203.0.113.1'));
    for (const t of flood) t.session.data(Buffer.from('user2\nwrong\n'));
    const other = connect(server, '203.0.113.2');
    other.session.data(Buffer.from('user3\nuser3p\n'));
    await flood[0]!.until(() => accounts.started.length === 3, () => `started ${accounts.started.length}`);
    // Two for the flooding address, and the other address's check is not behind its queue.
    assert.deepEqual(accounts.started.map((s) => s.name), ['user2', 'user2', 'user3']);
    // Two flooders hang up while waiting: their checks are never started.
    for (const t of flood.slice(8)) t.destroy('PEER_CLOSED');
    await flood[9]!.waitClosed();
    accounts.started[2]!.finish();
    await other.waitFor('Welcome user3!');
    // The rest are served as checks finish. Each asks the throttle (5 failures) at its turn, so
    // once the ban starts no further guess is checked: at most 5 + (2 in flight - 1).
    const live = flood.slice(0, 8);
    const allAnswered = () => live.every((t) => t.code !== undefined);
    while (!allAnswered()) {
      const n = accounts.started.length;
      for (const s of accounts.started) s.finish();
      await live[0]!.until(() => accounts.started.length > n || allAnswered(), () => `stuck after ${n} checks`);
    }
    await Promise.all(flood.slice(0, 8).map((t) => t.waitClosed()));
    const checked = accounts.started.filter((s) => s.name === 'user2').length;
    assert.ok(checked >= 5 && checked <= 6, `${checked} guesses checked`);
    for (const t of flood.slice(0, 5)) assert.match(t.text, /Invalid credentials\. Connection closed\.\n$/);
    for (const t of flood.slice(6, 8)) assert.match(t.text, /Too many failed logins\. Try again in \d+ seconds?\. Connection closed\.\n$/);
    other.session.data(Buffer.from('exit\n'));
    await other.waitClosed();
  });
});

test('a new user with no failed login is not queued behind the checks of guessing addresses', async () => {
  const accounts = new ManualAccounts();
  await withServer(accounts, recordingLogger().log, async (server) => {
    // Eight addresses, each with a failure on record and two guesses waiting: four checks run,
    // twelve wait. Round-robin alone would start the other guessers' checks first.
    const guessers: FakeTransport[] = [];
    for (let i = 0; i < 8; i++) {
      const ip = `203.0.113.${10 + i}`;
      server.ctx.throttle.failed(ip);
      for (let k = 0; k < 2; k++) guessers.push(connect(server, ip));
    }
    for (const t of guessers) t.session.data(Buffer.from('user2\nwrong\n'));
    await guessers[0]!.until(() => accounts.started.length === 4, () => `started ${accounts.started.length}`);
    const user = connect(server, '198.51.100.7');
    user.session.data(Buffer.from('user3\nuser3p\n'));
    accounts.started[0]!.finish();
    await user.until(() => accounts.started.length === 5, () => `started ${accounts.started.length}`);
    assert.equal(accounts.started[4]!.name, 'user3', 'the clean address goes first');
    accounts.started[4]!.finish();
    await user.waitFor('Welcome user3!');
    accounts.instant = true;
    for (const s of accounts.started) s.finish();
    await Promise.all(guessers.map((t) => t.waitClosed()));
    user.session.data(Buffer.from('exit\n'));
    await user.waitClosed();
  });
});

test('a throw while admitting a login closes that session with INTERNAL_ERROR and leaves nothing half-set', async () => {
  const accounts = new ManualAccounts();
  accounts.instant = true;
  const rec = recordingLogger(/^\[CONNECTED\] user2 /);
  await withServer(accounts, rec.log, async (server) => {
    const watcher = connect(server);
    watcher.session.data(Buffer.from('user1\nuser1p\n'));
    await watcher.waitFor('Welcome user1!');
    const t = connect(server);
    t.session.data(Buffer.from('user2\nuser2p\n'));
    await t.waitClosed();
    assert.equal(t.code, 'INTERNAL_ERROR');
    assert.ok(rec.lines.some((l) => /^\[ERROR\] while handling input from user2: Error: injected logger failure/.test(l)), rec.lines.join('\n'));
    assert.equal(server.ctx.hub.get('user2'), undefined, 'not left in the hub');
    // The name is free again, and the server carries on.
    const again = connect(server);
    again.session.data(Buffer.from('user2\nuser2p\n'));
    await again.waitFor('Welcome user2!');
    watcher.session.data(Buffer.from('still here\n'));
    await again.waitFor('user1: still here\n');
    for (const c of [watcher, again]) c.session.data(Buffer.from('exit\n'));
    await again.waitClosed();
  });
});

test('after shutdown begins: no login completes, input is ignored, timers do nothing, every close is SHUTDOWN', async () => {
  const accounts = new ManualAccounts();
  const rec = recordingLogger();
  await withServer(
    accounts,
    rec.log,
    async (server) => {
      const chatter = connect(server);
      chatter.session.data(Buffer.from('user1\nuser1p\n'));
      await chatter.until(() => accounts.started.length === 1, () => 'no check');
      accounts.started[0]!.finish();
      await chatter.waitFor('Welcome user1!');
      const pending = connect(server);
      pending.session.data(Buffer.from('user2\nuser2p\n'));
      await pending.until(() => accounts.started.length === 2, () => 'no check');
      // Peers that are slow to close: the sessions stay open through the grace period.
      for (const t of [chatter, pending]) t.closesOnEnd = false;

      server.ctx.shuttingDown = true;
      for (const t of [chatter, pending]) t.session.shutdown();
      accounts.started[1]!.finish();
      chatter.session.data(Buffer.from('a line nobody gets\n'));
      // Past the idle timeout. There is no event to wait for (the point is that none comes).
      await new Promise((r) => setTimeout(r, 1500));
      for (const t of [chatter, pending]) t.session.closed('PEER_CLOSED');

      assert.doesNotMatch(pending.text, /Welcome/);
      assert.ok(!rec.lines.some((l) => l.startsWith('[CONNECTED] user2')), rec.lines.join('\n'));
      assert.ok(!rec.lines.some((l) => l.startsWith('[MESSAGE]')), 'input after shutdown was handled');
      assert.ok(!rec.lines.some((l) => l.includes('IDLE_TIMEOUT')), 'the idle timer fired');
      const closes = rec.lines.filter((l) => l.startsWith('[DISCONNECTED]'));
      assert.deepEqual(closes, ['[DISCONNECTED] user1 (SHUTDOWN)']);
      assert.equal(server.ctx.hub.size, 0);
    },
    { idleTimeoutMs: 1000 },
  );
});
