import { Cluster, Redis } from 'ioredis';
import type { Result } from 'ioredis';
import type { ChatStore, HistoryEntry, HistoryRange, OfflineEntry, SaveListener, StoreLimits, StoreStats } from '../core/store.js';
import { StoreError } from '../core/store.js';
import { nameKey } from '../core/names.js';
import type { FlushHooks } from '../core/turn-flush.js';
import { TurnBatch } from './turn-batch.js';

/**
 * Append a turn's entries of one room to its stream. KEYS[1] the stream, ARGV[1] the cap
 * (`MAXLEN ~`), then six arguments an entry: the id's ms part (the entry's whole ms), kind, from,
 * text, the `at` field, room. An entry's id is `max(at, last id's ms)-*`: time-based, and never
 * below the stream's last id (an entry from a node whose clock is a little behind, or stamped
 * before a later one reached Redis, would otherwise make XADD fail). Returns how many were added;
 * when an XADD fails for another reason (out of memory, a key of another type), `{added, error}`:
 * the entries before it are in the stream, it and those after it are not.
 */
const APPEND_LUA = `
local function lastMs()
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return string.match(info[i + 1], '^(%d+)') end
  end
end
local function add(ms, i)
  return redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ms .. '-*',
    'kind', ARGV[i + 1], 'from', ARGV[i + 2], 'text', ARGV[i + 3], 'at', ARGV[i + 4], 'room', ARGV[i + 5])
end
local last = nil
for i = 2, #ARGV, 6 do
  local ms = ARGV[i]
  if last ~= nil and tonumber(ms) < tonumber(last) then ms = last end
  local id = add(ms, i)
  -- Below the stream's last id (another node's clock is behind): XINFO only then, not per append.
  if type(id) == 'table' and string.find(id.err, 'equal or smaller', 1, true) then id = add(lastMs(), i) end
  if type(id) == 'table' then return {(i - 2) / 6, id.err} end
  last = string.match(id, '^(%d+)')
end
return (#ARGV - 1) / 6
`;

/** A message for an offline user: pushed only while the list holds fewer than ARGV[1]; 1 stored, 0 full. */
const STORE_OFFLINE_LUA = `
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1
`;

/** A recipient's messages, read and deleted in one step. */
const TAKE_OFFLINE_LUA = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then redis.call('DEL', KEYS[1]) end
return items
`;

/** Deletes a stream's entries with ids below ARGV[1]-0 (and the stream once empty); returns how many. */
const PURGE_HISTORY_LUA = `
local n = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return n
`;

/**
 * Deletes the offline messages stamped before ARGV[1] (kept order, unreadable ones kept: a later
 * take skips them); returns how many.
 */
const PURGE_OFFLINE_LUA = `
local cutoff = tonumber(ARGV[1])
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local kept = {}
for _, item in ipairs(items) do
  local ok, e = pcall(cjson.decode, item)
  if not (ok and type(e) == 'table' and type(e.at) == 'number' and e.at < cutoff) then kept[#kept + 1] = item end
end
local n = #items - #kept
if n > 0 then
  redis.call('DEL', KEYS[1])
  for i = 1, #kept, 500 do redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 499, #kept))) end
end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    chatAppend(key: string, ...args: string[]): Result<number | [number, string], Context>;
    chatStoreOffline(key: string, limit: string, entry: string): Result<number, Context>;
    chatTakeOffline(key: string): Result<string[], Context>;
    chatPurgeHistory(key: string, minId: string): Result<number, Context>;
    chatPurgeOffline(key: string, cutoff: string): Result<number, Context>;
  }
}

type Client = Redis | Cluster;

/** Key names, shared with tools that read the same data. Braces: one hash slot per room or user. */
export const STORE_KEYS = {
  history: (room: string): string => `chat:hist:{${nameKey(room)}}`,
  offline: (user: string): string => `chat:offline:{${nameKey(user)}}`,
  historyPattern: 'chat:hist:*',
  offlinePattern: 'chat:offline:*',
} as const;

export interface RedisStoreOptions {
  /** Redis Cluster: the URLs are seeds (any masters); otherwise exactly one URL. */
  readonly cluster?: boolean;
  /** A command not answered within this many ms fails (counted like a disconnect). */
  readonly commandTimeoutMs?: number;
  /** The server's flush: each turn's appends are sent from its beforeFlush hook (else at the end of the turn). */
  readonly turns?: FlushHooks | undefined;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
/** Reconnect backoff: 100 ms more per attempt, at most this. */
const MAX_RECONNECT_DELAY_MS = 2_000;
const ENTRY_KINDS: ReadonlySet<string> = new Set(['message', 'action', 'topic']);
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * History and offline messages in Redis, shared by every chat node connected to it (standalone
 * Redis 7, or Redis Cluster). `durable` is true because Redis is the cluster's shared store: what
 * survives a Redis restart is decided by Redis's own persistence config (RDB/AOF), not by chatd.
 *
 * Contract (beyond ChatStore's):
 * - Room history is a stream per room, `chat:hist:{roomKey}`, fields kind/from/text/at/room, capped
 *   with `MAXLEN ~ limits.history` (approximate trimming may keep some more). Reads look only at the
 *   newest `limits.history` stream entries, so exactly the newest `limits.history` count as kept.
 * - Order is the stream's: the order appends reached Redis, as memory and SQLite order by insertion.
 *   Stream ids are `max(at, previous id's ms)-seq` (see APPEND_LUA): time-based, so `after` bounds
 *   the read by id and `purge` trims by id (XTRIM MINID). An id's ms is never below its entry's
 *   `at`, so reads still filter on the `at` field, and an entry that had to take a later id (another
 *   node's clock behind) is purged when that later time passes retention.
 * - `append` only queues: the entries appended during one event-loop turn are sent at the end of it
 *   (before the turn's outbox flush), one script call per room, all pipelined on the connection
 *   without waiting: one `stats.transactions` per flush. A failure (Redis down, a timeout, out of
 *   memory) counts the entries in `stats.errors` and is reported through `onError`, once per run
 *   of failures; the SaveListener hears of each flush once Redis answered it: `unsaved` with
 *   exactly the entries that are not in their stream (a room's script stops at its first failed
 *   XADD), or `saved`.
 * - Reads send the pending writes first; commands on one key travel one connection in order, so a
 *   read sees every earlier append of this store.
 * - Commands fail fast while Redis is unreachable (no offline queue, one retry, a command timeout)
 *   and the client reconnects with backoff: `storeOffline`, `takeOffline`, the reads and `purge`
 *   then reject with StoreError; the server tells the sender the message was not stored.
 * - Stream entries or offline messages that are not ours (a field missing, `at` not a number) are
 *   skipped by the reads, never thrown.
 */
export class RedisStore implements ChatStore {
  readonly kind = 'redis';
  readonly durable = true;
  readonly stats: StoreStats = { writes: 0, transactions: 0, errors: 0, unsaved: 0 };
  private readonly queue = new TurnBatch<HistoryEntry>((batch) => this.writeBatch(batch));
  private closed = false;
  /** Whether the current run of failures (writes or the connection) was reported already. */
  private failing = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly unhook: () => void;
  private saves: SaveListener | undefined;

  private constructor(
    private readonly client: Client,
    readonly limits: StoreLimits,
    private readonly onError: (message: string) => void,
    turns: FlushHooks | undefined,
  ) {
    this.unhook = turns === undefined ? () => undefined : turns.beforeFlush(() => this.flush());
  }

  /**
   * Connects to `url` (or the cluster seeds) and resolves once Redis answers. Throws StoreError
   * naming the URL (its password hidden) and the cause when it cannot connect.
   */
  static async connect(url: string | readonly string[], limits: StoreLimits, onError: (message: string) => void, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const urls = typeof url === 'string' ? [url] : [...url];
    const where = `--redis ${urls.map(hidePassword).join(',')}`;
    if (urls.length === 0) throw new StoreError(`${where}: no URL`);
    if (opts.cluster !== true && urls.length > 1) throw new StoreError(`${where}: one URL for a standalone Redis (several are seeds of a Redis Cluster)`);
    const commandTimeout = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const retry = (times: number): number => Math.min(times * 100, MAX_RECONNECT_DELAY_MS);
    const common = { lazyConnect: true, enableOfflineQueue: false } as const;
    const client: Client =
      opts.cluster === true
        ? new Cluster(urls, { ...common, clusterRetryStrategy: retry, redisOptions: { ...credentials(urls[0]!), maxRetriesPerRequest: 1, commandTimeout, connectTimeout: commandTimeout } })
        : new Redis(urls[0]!, { ...common, maxRetriesPerRequest: 1, commandTimeout, connectTimeout: commandTimeout, retryStrategy: retry });
    let lastError: unknown;
    let store: RedisStore | undefined;
    const onClientError = (err: unknown): void => {
      if (store === undefined) lastError = err;
      else store.report(`${where}: ${describe(err)}`);
    };
    client.on('error', onClientError);
    client.on('node error', onClientError);
    client.on('ready', () => {
      if (store !== undefined) store.failing = false;
    });
    try {
      await client.connect();
      await client.ping();
    } catch (err: unknown) {
      client.disconnect();
      throw new StoreError(`${where}: cannot connect: ${describe(lastError ?? err)}`);
    }
    client.defineCommand('chatAppend', { numberOfKeys: 1, lua: APPEND_LUA });
    client.defineCommand('chatStoreOffline', { numberOfKeys: 1, lua: STORE_OFFLINE_LUA });
    client.defineCommand('chatTakeOffline', { numberOfKeys: 1, lua: TAKE_OFFLINE_LUA });
    client.defineCommand('chatPurgeHistory', { numberOfKeys: 1, lua: PURGE_HISTORY_LUA });
    client.defineCommand('chatPurgeOffline', { numberOfKeys: 1, lua: PURGE_OFFLINE_LUA });
    store = new RedisStore(client, limits, onError, opts.turns);
    return store;
  }

  append(entry: HistoryEntry): void {
    if (this.closed) return;
    this.queue.push(entry);
  }

  watchSaves(listener: SaveListener): void {
    this.saves = listener;
  }

  /** Sends the queued history, one script call per room. Never throws: a failure is counted and reported. */
  flush(): void {
    this.queue.flush();
  }

  private writeBatch(batch: HistoryEntry[]): void {
    if (this.closed) return;
    const rooms = new Map<string, { args: string[]; entries: HistoryEntry[] }>();
    for (const e of batch) {
      const key = STORE_KEYS.history(e.room);
      let room = rooms.get(key);
      if (room === undefined) rooms.set(key, (room = { args: [String(this.limits.history)], entries: [] }));
      room.args.push(String(Math.max(0, Math.floor(e.at))), e.kind, e.from, e.text, String(e.at), e.room);
      room.entries.push(e);
    }
    const writes = [...rooms].map(([key, { args, entries }]) =>
      this.send(() => this.client.chatAppend(key, ...args)).then(
        (answer) => (typeof answer === 'number' ? { written: entries.length, lost: [], cause: '' } : { written: answer[0], lost: entries.slice(answer[0]), cause: answer[1] }),
        (err: unknown) => ({ written: 0, lost: entries, cause: describe(err) }),
      ),
    );
    this.track(
      Promise.all(writes).then((results) => {
        const written = results.reduce((n, r) => n + r.written, 0);
        const lost = results.flatMap((r) => r.lost);
        if (written > 0) {
          this.stats.writes += written;
          this.stats.transactions++;
        }
        if (lost.length > 0) {
          const why = results.find((r) => r.lost.length > 0)!.cause;
          this.stats.errors += lost.length;
          this.stats.unsaved += lost.length;
          this.report(`could not write ${lost.length} history entries: ${why}`);
          this.saves?.unsaved(lost, cause(why));
        } else {
          this.failing = false;
          this.saves?.saved();
        }
      }),
    );
  }

  history(room: string, n: number, before?: number): Promise<HistoryEntry[]> {
    return this.historyRange(room, before === undefined ? { limit: n } : { before, limit: n });
  }

  async historyRange(room: string, range: HistoryRange): Promise<HistoryEntry[]> {
    this.flush();
    const keep = Math.min(range.limit, this.limits.history);
    if (keep <= 0) return [];
    const { after = -Infinity, before = Infinity } = range;
    if (after >= before) return [];
    // An id's ms is never below its entry's whole ms, so an entry later than `after` has an id from
    // `floor(after)-0` on; ids are ordered, so those are a run of the newest. The newest
    // `limits.history` entries are the kept ones: no more are read.
    const start = after >= 0 ? `${Math.floor(after)}-0` : '-';
    const raw = await this.command('read history', () => this.client.xrevrange(STORE_KEYS.history(room), '+', start, 'COUNT', this.limits.history));
    const found: HistoryEntry[] = [];
    for (const [, fields] of raw) {
      const e = toEntry(fields);
      if (e !== undefined && e.at > after && e.at < before) found.push(e);
    }
    // `found` is newest first.
    return range.from === 'oldest' ? found.slice(-keep).reverse() : found.slice(0, keep).reverse();
  }

  async storeOffline(entry: OfflineEntry): Promise<'stored' | 'full'> {
    const json = JSON.stringify({ to: entry.to, from: entry.from, text: entry.text, at: entry.at });
    const stored = await this.command(`store a message for ${entry.to}`, () => this.client.chatStoreOffline(STORE_KEYS.offline(entry.to), String(this.limits.offline), json), true);
    if (stored === 0) return 'full';
    this.stats.writes++;
    this.stats.transactions++;
    return 'stored';
  }

  async takeOffline(user: string): Promise<OfflineEntry[]> {
    const items = await this.command(`take the messages of ${user}`, () => this.client.chatTakeOffline(STORE_KEYS.offline(user)));
    const entries: OfflineEntry[] = [];
    for (const item of items) {
      const e = toOffline(item);
      if (e !== undefined) entries.push(e);
    }
    return entries;
  }

  async purge(now: number): Promise<number> {
    this.flush();
    const cutoff = Math.floor(now - this.limits.retentionMs);
    if (cutoff <= 0) return 0;
    let n = 0;
    for (const node of this.masters()) {
      for await (const key of this.scan(node, STORE_KEYS.historyPattern)) n += await this.command('purge history', () => this.client.chatPurgeHistory(key, String(cutoff)));
      for await (const key of this.scan(node, STORE_KEYS.offlinePattern)) n += await this.command('purge offline messages', () => this.client.chatPurgeOffline(key, String(cutoff)));
    }
    return n;
  }

  /** Connected and not closed: ioredis's 'ready' (for a Redis Cluster, the slots are known). */
  get open(): boolean {
    return !this.closed && this.client.status === 'ready';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.unhook();
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    try {
      await this.client.quit();
    } catch {
      // Not connected: nothing to say goodbye to; drop the socket and stop reconnecting.
      this.client.disconnect();
    }
  }

  /** Reports the first failure of a run (until a write succeeds or the client is ready again). */
  private report(message: string): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(message);
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    const done = (): void => void this.inflight.delete(work);
    work.then(done, done);
  }

  /** `run()`'s promise; a synchronous throw (a client in a bad state) becomes a rejection. */
  private send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return run();
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  /** `run()`'s answer, or StoreError saying what could not be done and why (counted when a write). */
  private async command<T>(what: string, run: () => Promise<T>, write = false): Promise<T> {
    if (this.closed) throw new StoreError(`could not ${what}: the store is closed`);
    try {
      return await this.send(run);
    } catch (err: unknown) {
      if (write) this.stats.errors++;
      throw new StoreError(`could not ${what}: ${describe(err)}`);
    }
  }

  /** The servers that hold keys: every master of a cluster, or the one Redis. */
  private masters(): Redis[] {
    return this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
  }

  /** Every key of `node` matching `pattern` (SCAN: may repeat a key, which the purge scripts allow). */
  private async *scan(node: Redis, pattern: string): AsyncGenerator<string> {
    let cursor = '0';
    do {
      const [next, keys] = await this.command(`scan ${pattern}`, () => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
      cursor = next;
      yield* keys;
    } while (cursor !== '0');
  }
}

/** A stream entry's fields as a HistoryEntry, or undefined when one is missing or malformed. */
function toEntry(fields: readonly string[]): HistoryEntry | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const kind = f.get('kind');
  const from = f.get('from');
  const text = f.get('text');
  const at = f.get('at');
  const room = f.get('room');
  if (kind === undefined || !ENTRY_KINDS.has(kind) || from === undefined || text === undefined || room === undefined || at === undefined || !NUMBER.test(at)) return undefined;
  return { room, kind: kind as HistoryEntry['kind'], from, text, at: Number(at) };
}

/** A stored offline message, or undefined when it is not one of ours. */
function toOffline(item: string): OfflineEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(item);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { to, from, text, at } = v as Record<string, unknown>;
  if (typeof to !== 'string' || typeof from !== 'string' || typeof text !== 'string' || typeof at !== 'number') return undefined;
  return { to, from, text, at };
}

/** The user and password of a seed URL, for every node of a cluster (the seeds name only some). */
function credentials(url: string): { username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return {};
  }
  return { ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }), ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }) };
}

/** `redis://user:secret@host` as `redis://user:***@host`: URLs go to the log. */
function hidePassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a write failed (from its message), in a few words for the users whose lines were not saved. */
function cause(message: string): string {
  if (/^OOM |maxmemory/.test(message)) return 'out of memory';
  if (/^READONLY /.test(message)) return 'read-only';
  if (/Connection is closed|isn't writeable|timed out|ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|retries|CLUSTERDOWN/i.test(message)) return 'unreachable';
  return 'write error';
}
