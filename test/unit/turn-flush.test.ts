import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type OutboxEvents, type OutboxLimits, type Sink } from '../../src/core/outbox.js';
import { TurnFlush } from '../../src/core/turn-flush.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { defaultConfig } from '../../src/server/config.js';
import { silentLogger } from '../../src/core/log.js';
import { TextSession } from '../../src/protocols/text/session.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { nextTurn } from '../helpers/wait.js';

// The end-of-turn flush is an object, one per server: two hubs in one process (tests, several
// servers through a LocalBroker) each flush their own outboxes and run their own hooks.

const limits: OutboxLimits = { queueSize: 10, queueBytes: 64 * 1024, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, cc: 'none' };
const quiet: OutboxEvents = { dropped() {}, overflowed() {}, caughtUp() {}, drainTimedOut() {} };
const line = (s: string) => Buffer.from(`${s}\n`);

/** A sink that records each write in the shared `log`, as `<name>: <bytes>`. */
function recording(name: string, log: string[]): Sink & { readonly chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    writableLength: 0,
    write(chunk: Buffer): boolean {
      chunks.push(chunk);
      log.push(`${name}: ${chunk.toString().replace(/\n/g, ' ').trim()}`);
      return true;
    },
  };
}

test('two flushes in one process flush independently: each runs its own hooks, once per turn, before its own outboxes write', async () => {
  const log: string[] = [];
  const a = new TurnFlush();
  const b = new TurnFlush();
  const unhookA = a.beforeFlush(() => log.push('hook A'));
  b.beforeFlush(() => log.push('hook B'));
  const a1 = new Outbox(recording('a1', log), limits, quiet, { flush: a });
  const a2 = new Outbox(recording('a2', log), limits, quiet, { flush: a });
  const b1 = new Outbox(recording('b1', log), limits, quiet, { flush: b });

  // Only A has messages: B's hook does not run, and A's runs once, before A's writes.
  for (const m of [line('x1'), line('x2')]) for (const o of [a1, a2]) o.push(m);
  await nextTurn();
  assert.deepEqual(log, ['hook A', 'a1: x1 x2', 'a2: x1 x2']);

  // Only B has messages: A's hook does not run.
  log.length = 0;
  b1.push(line('y1'));
  await nextTurn();
  assert.deepEqual(log, ['hook B', 'b1: y1']);

  // Both in one turn: each hook once, each before its own flush's writes.
  log.length = 0;
  b1.push(line('y2'));
  a1.push(line('x3'));
  b1.push(line('y3'));
  await nextTurn();
  assert.deepEqual(log, ['hook B', 'b1: y2 y3', 'hook A', 'a1: x3'], 'B was listed first, so B flushed first');

  // Unregistering A's hook leaves B's in place.
  log.length = 0;
  unhookA();
  a2.push(line('x4'));
  b1.push(line('y4'));
  await nextTurn();
  assert.deepEqual(log, ['a2: x4', 'hook B', 'b1: y4']);
  for (const o of [a1, a2, b1]) o.close();
});

test('two flushes keep their own turn numbers and joined chunks', async () => {
  const a = new TurnFlush();
  const b = new TurnFlush();
  const sinks = [recording('a1', []), recording('a2', []), recording('b1', [])];
  const [a1, a2, b1] = sinks.map((s, i) => new Outbox(s, limits, quiet, { flush: i < 2 ? a : b }));
  const shared = [line('m1'), line('m2')];
  for (const m of shared) for (const o of [a1!, a2!, b1!]) o.push(m);
  await nextTurn();
  assert.deepEqual([a.turn, b.turn], [1, 1]);
  assert.equal(sinks[0]!.chunks[0], sinks[1]!.chunks[0], "one flush's recipients of a broadcast share the joined chunk");
  assert.deepEqual(sinks[2]!.chunks[0], sinks[0]!.chunks[0], "the other flush's recipient gets the same bytes");
  a1!.push(line('m3'));
  await nextTurn();
  assert.deepEqual([a.turn, b.turn], [2, 1], 'a turn with nothing for B is no flush of B');
  for (const o of [a1!, a2!, b1!]) o.close();
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'turn-flush-'));
  dirs.push(dir);
  return dir;
}

test("a store commits from its own server's flush, before that flush's outboxes write, and from no other", async () => {
  const a = new TurnFlush();
  const b = new TurnFlush();
  const storeA = new SqliteStore(tempDir(), { history: 10, offline: 10, retentionMs: 1_000_000 }, undefined, a);
  const storeB = new SqliteStore(tempDir(), { history: 10, offline: 10, retentionMs: 1_000_000 }, undefined, b);
  const seen: string[] = [];
  const sink = (name: string): Sink => ({
    writableLength: 0,
    write(): boolean {
      seen.push(`${name} written, committed: A ${storeA.stats.transactions}, B ${storeB.stats.transactions}`);
      return true;
    },
  });
  const outA = new Outbox(sink('A'), limits, quiet, { flush: a });
  const outB = new Outbox(sink('B'), limits, quiet, { flush: b });
  // The message is pushed before the entry is appended, so the flush's turn ends first: only the
  // hook can have committed the entry by the time the outbox writes.
  outA.push(line('hello'));
  storeA.append({ room: 'lobby', at: 1, kind: 'message', from: 'alice', text: 'hello' });
  await nextTurn();
  outB.push(line('other'));
  await nextTurn();
  assert.deepEqual(seen, ['A written, committed: A 1, B 0', 'B written, committed: A 1, B 0']);
  outA.close();
  outB.close();
  await storeA.close();
  await storeB.close();
});

test('two servers in one process: each has its own flush, and each delivers to its own users', async () => {
  const config = { ...defaultConfig(), port: 0, floodRate: 0, statsIntervalS: 0, noticeDelayMs: 0, httpPort: null, ircPort: null };
  const servers: ChatServer[] = [await startChatServer({ ...config, dataDir: tempDir() }, silentLogger), await startChatServer({ ...config, dataDir: tempDir() }, silentLogger)];
  try {
    assert.notEqual(servers[0]!.ctx.flush, servers[1]!.ctx.flush);
    const login = (server: ChatServer, name: string, port: number): FakeTransport<TextSession> => {
      const t = new FakeTransport<TextSession>('192.0.2.1', port);
      t.session = new TextSession(t, server.ctx, server.config);
      t.session.data(Buffer.from(`${name}\n${name}p\n`));
      return t;
    };
    const [one, two] = servers;
    const senders = [login(one!, 'user1', 1001), login(two!, 'user1', 1002)];
    for (const t of senders) await t.waitFor('Welcome user1!');
    const readers = [login(one!, 'user2', 1003), login(two!, 'user2', 1004)];
    for (const t of readers) await t.waitFor('Welcome user2!');
    senders[0]!.session.data(Buffer.from('on server one\n'));
    senders[1]!.session.data(Buffer.from('on server two\n'));
    await readers[0]!.waitFor('user1: on server one\n');
    await readers[1]!.waitFor('user1: on server two\n');
    assert.equal(readers[0]!.text.includes('server two'), false);
    assert.equal(readers[1]!.text.includes('server one'), false);
    assert.deepEqual((await one!.ctx.store.history('lobby', 10)).map((e) => e.text), ['on server one']);
    assert.deepEqual((await two!.ctx.store.history('lobby', 10)).map((e) => e.text), ['on server two']);
  } finally {
    for (const s of servers) await s.close();
  }
});
