import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatStore, HistoryEntry, SaveListener, StoreLimits } from '../../src/core/store.js';
import { StoreError } from '../../src/core/store.js';
import { MemoryStore } from '../../src/store/memory.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { RedisStore } from '../../src/store/redis.js';
import { openStore } from '../../src/server/server.js';
import { silentLogger } from '../../src/core/log.js';
import { freePort, hasRedis, startRedis, startRedisCluster } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

// One conformance suite, run against every ChatStore implementation (as aedes runs one suite
// against each persistence backend): memory, SQLite, and Redis on a real redis-server, standalone
// and as a 3-master Redis Cluster (skipped, with the reason, where redis-server is not installed).

const LIMITS: StoreLimits = { history: 5, offline: 3, retentionMs: 1_000_000 };

const NO_REDIS = hasRedis() ? undefined : 'redis-server is not installed (.ci/run installs it)';
const redis = NO_REDIS === undefined ? await startRedis() : undefined;
const cluster = NO_REDIS === undefined ? await startRedisCluster(3) : undefined;
after(async () => {
  await redis?.stop();
  await cluster?.stop();
});

interface Impl {
  readonly name: string;
  /** Why the suite cannot run against it here; undefined: it runs. */
  readonly skip?: string;
  open(dir: string): ChatStore | Promise<ChatStore>;
}

/** Each test starts from an empty Redis: every key of the earlier ones deleted. */
async function openRedis(onError: (message: string) => void = () => {}): Promise<RedisStore> {
  redis!.cli('FLUSHALL');
  return RedisStore.connect(redis!.url, LIMITS, onError);
}

async function openCluster(): Promise<RedisStore> {
  for (const m of cluster!.masters) m.cli('FLUSHALL');
  return RedisStore.connect(cluster!.urls, LIMITS, () => {}, { cluster: true });
}

const IMPLEMENTATIONS: readonly Impl[] = [
  { name: 'memory', open: () => new MemoryStore(LIMITS) },
  { name: 'sqlite', open: (dir) => new SqliteStore(dir, LIMITS) },
  { name: 'redis', skip: NO_REDIS, open: () => openRedis() },
  { name: 'redis cluster', skip: NO_REDIS, open: () => openCluster() },
];

/** A SaveListener that records what it hears: lost entries' texts with the cause, and 'saved'. */
function recorder(): { heard: string[]; listener: SaveListener } {
  const heard: string[] = [];
  return { heard, listener: { unsaved: (entries, cause) => heard.push(`${cause}: ${entries.map((e) => e.text).join(', ')}`), saved: () => heard.push('saved') } };
}

const entry = (room: string, i: number, at = 1_000 + i): HistoryEntry => ({ room, kind: i % 3 === 0 ? 'action' : 'message', from: `u${i % 2}`, text: `line ${i}`, at });

async function withStore(impl: Impl, fn: (store: ChatStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `store-${impl.name.replace(/ /g, '-')}-`));
  const store = await impl.open(dir);
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const impl of IMPLEMENTATIONS) {
  test(`${impl.name}: history is per room, oldest first, sees what was just appended, and keeps at most --history lines`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      for (let i = 0; i < 12; i++) store.append(entry(i % 2 === 0 ? 'lobby' : 'dev', i));
      const lobby = await store.history('lobby', 100);
      assert.deepEqual(lobby.map((e) => e.text), ['line 2', 'line 4', 'line 6', 'line 8', 'line 10']);
      assert.deepEqual((await store.history('lobby', 2)).map((e) => e.text), ['line 8', 'line 10']);
      assert.deepEqual((await store.history('dev', 1))[0], entry('dev', 11));
      assert.deepEqual(await store.history('nowhere', 10), []);
      assert.deepEqual(await store.history('lobby', 0), []);
      store.append({ room: 'lobby', kind: 'topic', from: 'u1', text: 'a topic', at: 5_000 });
      assert.equal((await store.history('lobby', 1))[0]!.kind, 'topic');
    });
  });

  test(`${impl.name}: history before a time pages back through a room: the last n lines older than it, oldest first`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      // Times 1001..1012, two lines sharing 1005, and another room in between.
      for (let i = 1; i <= 4; i++) store.append(entry('lobby', i));
      store.append({ ...entry('lobby', 5), text: 'same ms a' });
      store.append(entry('dev', 99, 1_003));
      store.append({ ...entry('lobby', 5), text: 'same ms b' });
      const texts = async (n: number, before?: number): Promise<string[]> => (await store.history('lobby', n, before)).map((e) => e.text);
      // At most --history (5) lines are kept: line 1 is gone.
      assert.deepEqual(await texts(100), ['line 2', 'line 3', 'line 4', 'same ms a', 'same ms b']);
      assert.deepEqual(await texts(2, 1_005), ['line 3', 'line 4'], 'strictly older than before');
      assert.deepEqual(await texts(100, 1_005), ['line 2', 'line 3', 'line 4']);
      assert.deepEqual(await texts(100, 1_006), ['line 2', 'line 3', 'line 4', 'same ms a', 'same ms b']);
      assert.deepEqual(await texts(100, 1_002), [], 'nothing older is kept');
      assert.deepEqual(await texts(0, 1_006), []);
      assert.deepEqual(await store.history('dev', 10, 1_003), []);
      assert.deepEqual((await store.history('dev', 10, 1_004)).map((e) => e.text), ['line 99']);
      assert.deepEqual(await store.history('nowhere', 10, 5_000), []);
      // What was just appended is seen by a paged read too.
      store.append(entry('lobby', 6));
      assert.deepEqual(await texts(1, 2_000), ['line 6']);
    });
  });

  test(`${impl.name}: historyRange: entries strictly between after and before, the newest or the oldest of them, oldest first`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      // Times 1001..1005 in lobby (two lines share 1003), one line in dev in between.
      for (let i = 1; i <= 2; i++) store.append(entry('lobby', i));
      store.append({ ...entry('lobby', 3), text: 'same ms a' });
      store.append(entry('dev', 99, 1_003));
      store.append({ ...entry('lobby', 3), text: 'same ms b' });
      store.append(entry('lobby', 4));
      const texts = async (range: Parameters<ChatStore['historyRange']>[1]): Promise<string[]> => (await store.historyRange('lobby', range)).map((e) => e.text);
      assert.deepEqual(await texts({ limit: 100 }), ['line 1', 'line 2', 'same ms a', 'same ms b', 'line 4']);
      assert.deepEqual(await texts({ limit: 2 }), ['same ms b', 'line 4'], 'the newest by default');
      assert.deepEqual(await texts({ limit: 2, from: 'oldest' }), ['line 1', 'line 2']);
      assert.deepEqual(await texts({ after: 1_001, limit: 100 }), ['line 2', 'same ms a', 'same ms b', 'line 4'], 'strictly after');
      assert.deepEqual(await texts({ after: 1_001, limit: 2, from: 'oldest' }), ['line 2', 'same ms a']);
      assert.deepEqual(await texts({ after: 1_002, before: 1_004, limit: 100 }), ['same ms a', 'same ms b'], 'both ends excluded');
      assert.deepEqual(await texts({ after: 1_002, before: 1_004, limit: 1 }), ['same ms b']);
      assert.deepEqual(await texts({ after: 1_002, before: 1_004, limit: 1, from: 'oldest' }), ['same ms a']);
      assert.deepEqual(await texts({ after: 1_004, before: 1_002, limit: 100 }), [], 'an empty range');
      assert.deepEqual(await texts({ after: 1_004, limit: 100 }), []);
      assert.deepEqual(await texts({ before: 1_001, limit: 100 }), []);
      assert.deepEqual(await texts({ limit: 0 }), []);
      assert.deepEqual(await texts({ limit: -1, from: 'oldest' }), []);
      assert.deepEqual((await store.historyRange('dev', { after: 1_002, before: 1_004, limit: 10 })).map((e) => e.text), ['line 99']);
      assert.deepEqual(await store.historyRange('nowhere', { limit: 10, from: 'oldest' }), []);
      // At most --history (5) whatever the limit, and what was just appended is seen.
      store.append(entry('lobby', 5));
      assert.deepEqual(await texts({ after: 0, limit: 100, from: 'oldest' }), ['line 2', 'same ms a', 'same ms b', 'line 4', 'line 5']);
    });
  });

  test(`${impl.name}: offline messages are kept per recipient up to the limit, taken oldest first, once`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      for (let i = 0; i < 4; i++) assert.equal(await store.storeOffline({ to: 'bob', from: 'amy', text: `m${i}`, at: 10 + i }), i < 3 ? 'stored' : 'full');
      assert.equal(await store.storeOffline({ to: 'cat', from: 'amy', text: 'hi', at: 20 }), 'stored');
      assert.deepEqual((await store.takeOffline('bob')).map((e) => e.text), ['m0', 'm1', 'm2']);
      assert.deepEqual(await store.takeOffline('bob'), []);
      assert.deepEqual(await store.takeOffline('cat'), [{ to: 'cat', from: 'amy', text: 'hi', at: 20 }]);
    });
  });

  test(`${impl.name}: entries past the retention are purged`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      store.append(entry('lobby', 1, 100));
      store.append(entry('lobby', 2, 2_000_000));
      await store.storeOffline({ to: 'bob', from: 'amy', text: 'old', at: 100 });
      assert.equal(await store.purge(1_500_000), 2);
      assert.deepEqual((await store.history('lobby', 10)).map((e) => e.text), ['line 2']);
      assert.deepEqual(await store.takeOffline('bob'), []);
    });
  });

  test(`${impl.name}: text of any kind comes back unchanged`, { skip: impl.skip }, async () => {
    await withStore(impl, async (store) => {
      const texts = ["it's", 'quote " backslash \\', 'ünïcode 日本語 😀', '', "'; DROP TABLE history; --", 'x'.repeat(4000)];
      for (const [i, text] of texts.entries()) store.append({ room: 'r', kind: 'message', from: 'u', text, at: i });
      const got = await store.history('r', 100);
      assert.deepEqual(got.map((e) => e.text), texts.slice(-LIMITS.history));
    });
  });
}

test('sqlite: what was written survives closing and opening again; memory does not claim to', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-reopen-'));
  try {
    const a = new SqliteStore(dir, LIMITS);
    assert.equal(a.durable, true);
    a.append(entry('lobby', 1));
    await a.storeOffline({ to: 'bob', from: 'amy', text: 'kept', at: 1 });
    await a.close();
    const b = new SqliteStore(dir, LIMITS);
    assert.deepEqual((await b.history('lobby', 10)).map((e) => e.text), ['line 1']);
    assert.deepEqual((await b.takeOffline('bob')).map((e) => e.text), ['kept']);
    await b.close();
    assert.equal(new MemoryStore(LIMITS).durable, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: a burst of appends in one turn is one transaction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-batch-'));
  const store = new SqliteStore(dir, { ...LIMITS, history: 1000 });
  try {
    for (let i = 0; i < 500; i++) store.append(entry('lobby', i));
    await new Promise((r) => setImmediate(r));
    assert.equal(store.stats.transactions, 1);
    assert.equal(store.stats.writes, 500);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memory: bounded in bytes per room and in all rooms, the least recently written room losing lines first', async () => {
  const store = new MemoryStore({ history: 1000, offline: 1, retentionMs: 1e12 }, 10_000, 25_000);
  const big = (room: string, i: number): HistoryEntry => ({ room, kind: 'message', from: 'u', text: `${i}`.padEnd(1000, '.'), at: i });
  for (let i = 0; i < 50; i++) store.append(big('a', i));
  const a = await store.history('a', 1000);
  assert.ok(a.length > 0 && a.length <= 5, `${a.length} lines of ~2 KB kept under 10,000 bytes`);
  assert.equal(a.at(-1)!.at, 49, 'the newest are kept');
  for (let i = 0; i < 4; i++) for (const room of ['b', 'c', 'd']) store.append(big(room, 100 + i));
  assert.deepEqual(await store.history('a', 1000), [], 'the room written least recently went first');
  assert.ok((await store.history('d', 1000)).length > 0);
});

test('sqlite: a disk that fills while running is counted and reported, never thrown into the chat', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-full-'));
  const errors: string[] = [];
  const store = new SqliteStore(dir, { ...LIMITS, history: 100_000 }, (message) => errors.push(message));
  const { heard, listener } = recorder();
  store.watchSaves(listener);
  try {
    store.append({ room: 'lobby', kind: 'message', from: 'u', text: 'written before the disk filled', at: 0 });
    store.flush();
    assert.deepEqual(heard, ['saved']);
    // SQLite's own page limit stands in for a full disk: writes past it fail with SQLITE_FULL.
    const db = (store as unknown as { db: { pragma(p: string, o?: { simple: boolean }): unknown } }).db;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 2}`);
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 50; i++) store.append({ room: 'lobby', kind: 'message', from: 'u', text: 'x'.repeat(500), at: turn * 100 + i });
      store.flush();
    }
    assert.ok(store.stats.errors > 0, 'some writes failed');
    assert.equal(store.stats.unsaved, store.stats.errors, 'every failed write so far was a room line');
    assert.match(errors[0] ?? '', /could not write \d+ history entries: the disk is full/);
    // Each failed batch is heard whole, with the cause in users' words.
    const lost = heard.filter((h) => h !== 'saved');
    assert.ok(lost.length > 0 && lost.every((h) => /^disk full: x+(, x+)*$/.test(h)), JSON.stringify(heard.map((h) => h.slice(0, 20))));
    assert.equal(lost.reduce((n, h) => n + h.split(', ').length, 0), store.stats.unsaved);
    // An offline message that cannot be stored is a rejection the server turns into "not stored".
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.storeOffline({ to: `bob${i}`, from: 'amy', text: 'x'.repeat(4000), at: 1 })));
    assert.ok(outcomes.some((o) => o.status === 'rejected' && /could not store a message for bob\d+/.test(String(o.reason))), JSON.stringify(outcomes.map((o) => o.status)));
    assert.ok((await store.history('lobby', 5)).length > 0, 'what was written before is still there');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const REDIS = { skip: NO_REDIS };

test('redis: two nodes on one Redis see each other\'s history and offline messages, whatever their clocks say', REDIS, async () => {
  const a = await openRedis();
  const b = await RedisStore.connect(redis!.url, LIMITS, () => {});
  try {
    assert.equal(a.durable, true);
    a.append(entry('lobby', 1, 2_000));
    // A read sends the pending writes first, on the same connection: once it answers they are in.
    assert.equal((await a.history('lobby', 10)).length, 1);
    // b's clock is behind: its line is older than a's, yet it is stored (after a's, in arrival order).
    b.append(entry('lobby', 2, 1_500));
    assert.deepEqual((await b.history('lobby', 10)).map((e) => e.text), ['line 1', 'line 2']);
    assert.deepEqual((await a.history('lobby', 10, 1_600)).map((e) => e.text), ['line 2'], 'paged by the at field, not the id');
    assert.deepEqual((await a.historyRange('lobby', { after: 1_600, limit: 10 })).map((e) => e.text), ['line 1']);
    assert.equal(await a.storeOffline({ to: 'Bob', from: 'amy', text: 'from node a', at: 1 }), 'stored');
    assert.equal(await b.storeOffline({ to: 'bob', from: 'cat', text: 'from node b', at: 2 }), 'stored');
    assert.deepEqual((await b.takeOffline('BOB')).map((e) => e.text), ['from node a', 'from node b'], 'one box per user, whatever the case');
    assert.deepEqual(await a.takeOffline('bob'), [], 'taken once, on either node');
  } finally {
    await a.close();
    await b.close();
  }
});

test('redis: a burst of appends in one turn is one flush, counted once as a transaction', REDIS, async () => {
  const store = await openRedis();
  try {
    for (let i = 0; i < 500; i++) store.append(entry(i % 2 === 0 ? 'lobby' : 'dev', i));
    await waitUntil(
      () => store.stats.writes === 500,
      () => JSON.stringify(store.stats),
    );
    assert.deepEqual(store.stats, { writes: 500, transactions: 1, errors: 0, unsaved: 0 });
    assert.deepEqual((await store.history('lobby', 100)).map((e) => e.at), [1_490, 1_492, 1_494, 1_496, 1_498], 'exactly --history lines, though MAXLEN ~ keeps more');
  } finally {
    await store.close();
  }
});

test('redis: a stopped Redis counts the writes as errors without throwing, rejects offline messages, and works again once it is back', REDIS, async () => {
  const r = await startRedis();
  const errors: string[] = [];
  const store = await RedisStore.connect(r.url, LIMITS, (message) => errors.push(message));
  try {
    store.append(entry('lobby', 1));
    assert.equal((await store.history('lobby', 10)).length, 1);
    await r.kill();
    assert.doesNotThrow(() => store.append(entry('lobby', 2)));
    await waitUntil(
      () => store.stats.errors > 0,
      () => `stats ${JSON.stringify(store.stats)}, errors ${JSON.stringify(errors)}`,
    );
    assert.ok(errors.length > 0 && errors.every((e) => e.includes(r.url) || e.startsWith('could not write')), JSON.stringify(errors));
    await assert.rejects(store.storeOffline({ to: 'bob', from: 'amy', text: 'lost', at: 1 }), (err: unknown) => err instanceof StoreError && /could not store a message for bob/.test(err.message));
    await assert.rejects(store.history('lobby', 10), StoreError);
    await r.start();
    await waitUntil(
      () => store.storeOffline({ to: 'bob', from: 'amy', text: 'kept', at: 2 }).then((result) => result === 'stored', () => false),
      () => 'the store did not reconnect',
      { everyMs: 50 },
    );
    store.append(entry('lobby', 3));
    // The restarted Redis keeps nothing on disk (the test servers have no persistence).
    assert.deepEqual((await store.history('lobby', 10)).map((e) => e.text), ['line 3']);
    assert.deepEqual((await store.takeOffline('bob')).map((e) => e.text), ['kept']);
  } finally {
    await store.close();
    await r.stop();
  }
});

test('redis: entries that are not ours (a field missing, a time that is not a number, a key of another type) are skipped or counted, never thrown', REDIS, async () => {
  const errors: string[] = [];
  const store = await openRedis((message) => errors.push(message));
  try {
    const key = 'chat:hist:{lobby}';
    redis!.cli('XADD', key, '*', 'kind', 'message', 'from', 'x', 'text', 'no time', 'room', 'lobby');
    redis!.cli('XADD', key, '*', 'kind', 'message', 'from', 'x', 'text', 'bad time', 'at', 'soon', 'room', 'lobby');
    redis!.cli('XADD', key, '*', 'kind', 'shout', 'from', 'x', 'text', 'bad kind', 'at', '5', 'room', 'lobby');
    // Its id takes the ms of the garbage's (now), above its at: reads still page by at.
    store.append(entry('lobby', 1));
    assert.deepEqual((await store.history('lobby', 10)).map((e) => e.text), ['line 1']);
    assert.deepEqual((await store.history('lobby', 10, 1_002)).map((e) => e.text), ['line 1']);
    redis!.cli('RPUSH', 'chat:offline:{bob}', 'not json', '{"to":"bob","from":"x"}');
    assert.equal(await store.storeOffline({ to: 'bob', from: 'amy', text: 'real', at: 1 }), 'stored');
    assert.deepEqual((await store.takeOffline('bob')).map((e) => e.text), ['real']);
    redis!.cli('SET', 'chat:hist:{dev}', 'a string');
    assert.doesNotThrow(() => store.append(entry('dev', 2)));
    await waitUntil(
      () => store.stats.errors === 1,
      () => JSON.stringify(store.stats),
    );
    assert.match(errors[0] ?? '', /could not write 1 history entries: WRONGTYPE/);
    await assert.rejects(store.history('dev', 10), StoreError);
  } finally {
    await store.close();
  }
});

test('redis: out of memory (noeviction) loses exactly the entries not in their stream, says so, and saving resumes', REDIS, async () => {
  const r = await startRedis(['--maxmemory-policy', 'noeviction']);
  const store = await RedisStore.connect(r.url, LIMITS, () => {});
  const { heard, listener } = recorder();
  store.watchSaves(listener);
  try {
    store.append(entry('lobby', 1));
    await waitUntil(() => heard.length === 1, () => JSON.stringify(heard));
    r.cli('CONFIG', 'SET', 'maxmemory', '1');
    store.append(entry('lobby', 2));
    store.append(entry('dev', 3));
    await waitUntil(() => heard.length === 2, () => JSON.stringify(heard));
    assert.deepEqual(heard, ['saved', 'out of memory: line 2, line 3']);
    assert.deepEqual({ errors: store.stats.errors, unsaved: store.stats.unsaved }, { errors: 2, unsaved: 2 });
    r.cli('CONFIG', 'SET', 'maxmemory', '0');
    store.append(entry('lobby', 4));
    await waitUntil(() => heard.length === 3, () => JSON.stringify(heard));
    assert.equal(heard[2], 'saved');
    assert.deepEqual((await store.history('lobby', 10)).map((e) => e.text), ['line 1', 'line 4']);
  } finally {
    await store.close();
    await r.stop();
  }
});

test('redis: a Redis that cannot be reached at start is a StoreError naming the URL (password hidden) and the cause', REDIS, async () => {
  const port = await freePort();
  for (const [url, cluster] of [[`redis://u:secret@127.0.0.1:${port}`, false], [`redis://127.0.0.1:${port}`, true]] as const) {
    await assert.rejects(RedisStore.connect(url, LIMITS, () => {}, { cluster }), (err: unknown) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.match(err.message, new RegExp(`^--redis redis://(u:\\*\\*\\*@)?127\\.0\\.0\\.1:${port}: cannot connect: `));
      assert.doesNotMatch(err.message, /secret|\n/);
      return true;
    });
  }
});

test('openStore: --redis picks the Redis store; with --data-dir as well it is refused', REDIS, async () => {
  const options = { dataDir: undefined, history: 5, offlineLimit: 3, retentionDays: 1, redis: [redis!.url] };
  const store = await openStore(options, silentLogger);
  try {
    assert.equal(store.kind, 'redis');
  } finally {
    await store.close();
  }
  await assert.rejects(openStore({ ...options, dataDir: '/nonexistent' }, silentLogger), { name: 'StoreError', message: '--data-dir and --redis both store history; choose one' });
});
