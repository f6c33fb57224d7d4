import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ChatStore, HistoryEntry, HistoryRange, OfflineEntry, SaveListener, StoreLimits, StoreStats } from '../core/store.js';
import { StoreError } from '../core/store.js';
import type { FlushHooks } from '../core/turn-flush.js';
import { TurnBatch } from './turn-batch.js';

/** The schema this build writes. A database from a newer build is refused, an older one migrated. */
export const SCHEMA_VERSION = 1;

/** Forward migrations: MIGRATIONS[v] takes a database from version v to v + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE history (id INTEGER PRIMARY KEY, room TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL, from_user TEXT NOT NULL, text TEXT NOT NULL);
   CREATE INDEX history_room ON history (room, id);
   CREATE INDEX history_at ON history (at);
   CREATE TABLE offline (id INTEGER PRIMARY KEY, to_user TEXT NOT NULL, at INTEGER NOT NULL, from_user TEXT NOT NULL, text TEXT NOT NULL);
   CREATE INDEX offline_to ON offline (to_user, id);
   CREATE INDEX offline_at ON offline (at);`,
];

interface HistoryRow {
  room: string;
  at: number;
  kind: string;
  from_user: string;
  text: string;
}

interface OfflineRow {
  to_user: string;
  at: number;
  from_user: string;
  text: string;
}

/**
 * History and offline messages in `DIR/chat.db` (SQLite through better-sqlite3, WAL mode).
 *
 * Contract (beyond ChatStore's):
 * - `append` only queues: every entry appended during one event-loop turn is written by one
 *   transaction at the end of the turn (prepared statements), so a burst costs one commit per turn,
 *   not one per message; rooms written in a batch are trimmed to `limits.history` in the same
 *   transaction. The commit runs just before the turn's outbox flush (beforeFlush), so a line
 *   reaches its recipients only once it is committed: nothing anyone saw is lost to a crash.
 * - `storeOffline` commits (pending history first) before it resolves.
 * - One server per database: the connection holds SQLite's exclusive lock (locking_mode EXCLUSIVE,
 *   taken by a write at open), so a second server on the same DIR fails at start with a clear
 *   error. The kernel releases the lock when a process dies, even by SIGKILL.
 * - synchronous=NORMAL with WAL: a commit survives the process being killed (the WAL is written
 *   before the call returns); only a power loss may lose the last commits.
 */
export class SqliteStore implements ChatStore {
  readonly kind = 'sqlite';
  readonly durable = true;
  readonly stats: StoreStats = { writes: 0, transactions: 0, errors: 0, unsaved: 0 };
  private readonly db: Database.Database;
  private readonly queue = new TurnBatch<HistoryEntry>((batch) => this.commit(batch));
  private readonly insertHistory: Database.Statement;
  private readonly trimRoom: Database.Statement;
  /** The newest and the oldest entries of a room within (after, before). */
  private readonly selectNewest: Database.Statement;
  private readonly selectOldest: Database.Statement;
  private readonly countOffline: Database.Statement;
  private readonly insertOffline: Database.Statement;
  private readonly selectOffline: Database.Statement;
  private readonly deleteOffline: Database.Statement;
  private readonly writeBatch: (entries: HistoryEntry[]) => void;
  private closed = false;
  private readonly unhook: () => void;
  private saves: SaveListener | undefined;

  /** Opens (creating) DIR/chat.db; throws StoreError naming the path and the cause. */
  constructor(
    readonly dir: string,
    readonly limits: StoreLimits,
    private readonly onError: (message: string) => void = () => {},
    turns?: FlushHooks,
  ) {
    const file = join(dir, 'chat.db');
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err: unknown) {
      throw new StoreError(`--data-dir ${dir}: ${describe(err)}`);
    }
    if (!statSync(dir).isDirectory()) throw new StoreError(`--data-dir ${dir}: not a directory`);
    try {
      // A short busy timeout: another server holding the lock is an error at start, not a wait.
      this.db = new Database(file, { timeout: 200 });
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.migrate(file);
      // A write takes the exclusive lock now, so a second server fails here and not later.
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (err: unknown) {
      if (err instanceof StoreError) throw err;
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
      if (code === 'SQLITE_BUSY') throw new StoreError(`--data-dir ${dir}: another server is using ${file}`);
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new StoreError(`--data-dir ${dir}: ${file} is not a chat database or is corrupt`);
      throw new StoreError(`--data-dir ${dir}: cannot open ${file}: ${describe(err)}`);
    }
    this.insertHistory = this.db.prepare('INSERT INTO history (room, at, kind, from_user, text) VALUES (?, ?, ?, ?, ?)');
    this.trimRoom = this.db.prepare('DELETE FROM history WHERE room = ? AND id <= (SELECT id FROM history WHERE room = ? ORDER BY id DESC LIMIT 1 OFFSET ?)');
    const range = (order: string): string => `SELECT room, at, kind, from_user, text FROM (SELECT * FROM history WHERE room = ? AND at > ? AND at < ? ORDER BY id ${order} LIMIT ?) ORDER BY id`;
    this.selectNewest = this.db.prepare(range('DESC'));
    this.selectOldest = this.db.prepare(range('ASC'));
    this.countOffline = this.db.prepare('SELECT count(*) AS n FROM offline WHERE to_user = ?');
    this.insertOffline = this.db.prepare('INSERT INTO offline (to_user, at, from_user, text) VALUES (?, ?, ?, ?)');
    this.selectOffline = this.db.prepare('SELECT to_user, at, from_user, text FROM offline WHERE to_user = ? ORDER BY id');
    this.deleteOffline = this.db.prepare('DELETE FROM offline WHERE to_user = ?');
    // Committed before the turn's messages reach any socket (see beforeFlush).
    this.unhook = turns === undefined ? () => undefined : turns.beforeFlush(() => this.flush());
    this.writeBatch = this.db.transaction((entries: HistoryEntry[]) => {
      const rooms = new Set<string>();
      for (const e of entries) {
        this.insertHistory.run(e.room, e.at, e.kind, e.from, e.text);
        rooms.add(e.room);
      }
      for (const room of rooms) this.trimRoom.run(room, room, this.limits.history);
    });
  }

  append(entry: HistoryEntry): void {
    if (this.closed) return;
    this.queue.push(entry);
  }

  watchSaves(listener: SaveListener): void {
    this.saves = listener;
  }

  /** Writes the queued history as one transaction. Never throws: a failure is counted and reported. */
  flush(): void {
    this.queue.flush();
  }

  private commit(batch: HistoryEntry[]): void {
    if (this.closed) return;
    try {
      this.writeBatch(batch);
    } catch (err: unknown) {
      this.stats.errors += batch.length;
      this.stats.unsaved += batch.length;
      this.onError(`could not write ${batch.length} history entries: ${describe(err)}`);
      this.saves?.unsaved(batch, cause(err));
      return;
    }
    this.stats.transactions++;
    this.stats.writes += batch.length;
    this.saves?.saved();
  }

  history(room: string, n: number, before?: number): Promise<HistoryEntry[]> {
    return this.historyRange(room, before === undefined ? { limit: n } : { before, limit: n });
  }

  historyRange(room: string, range: HistoryRange): Promise<HistoryEntry[]> {
    this.flush();
    const limit = Math.min(range.limit, this.limits.history);
    if (limit <= 0) return Promise.resolve([]);
    // Times are whole ms since the epoch: the safe integers bound every one of them.
    const after = range.after ?? Number.MIN_SAFE_INTEGER;
    const before = range.before ?? Number.MAX_SAFE_INTEGER;
    const rows = (range.from === 'oldest' ? this.selectOldest : this.selectNewest).all(room, after, before, limit) as HistoryRow[];
    return Promise.resolve(rows.map((r) => ({ room: r.room, at: r.at, kind: r.kind as HistoryEntry['kind'], from: r.from_user, text: r.text })));
  }

  storeOffline(entry: OfflineEntry): Promise<'stored' | 'full'> {
    this.flush();
    try {
      const { n } = this.countOffline.get(entry.to) as { n: number };
      if (n >= this.limits.offline) return Promise.resolve('full');
      this.insertOffline.run(entry.to, entry.at, entry.from, entry.text);
      this.stats.transactions++;
      this.stats.writes++;
      return Promise.resolve('stored');
    } catch (err: unknown) {
      this.stats.errors++;
      return Promise.reject(new StoreError(`could not store a message for ${entry.to}: ${describe(err)}`));
    }
  }

  takeOffline(user: string): Promise<OfflineEntry[]> {
    const take = this.db.transaction(() => {
      const rows = this.selectOffline.all(user) as OfflineRow[];
      if (rows.length > 0) this.deleteOffline.run(user);
      return rows;
    });
    const rows = take();
    return Promise.resolve(rows.map((r) => ({ to: r.to_user, at: r.at, from: r.from_user, text: r.text })));
  }

  purge(now: number): Promise<number> {
    this.flush();
    const cutoff = now - this.limits.retentionMs;
    const a = this.db.prepare('DELETE FROM history WHERE at < ?').run(cutoff).changes;
    const b = this.db.prepare('DELETE FROM offline WHERE at < ?').run(cutoff).changes;
    return Promise.resolve(a + b);
  }

  get open(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    this.closed = true;
    this.unhook();
    this.db.close();
    return Promise.resolve();
  }

  /** Every stored room entry and offline message, oldest first: for `history export`. */
  *exportAll(): Generator<{ history: HistoryEntry } | { offline: OfflineEntry }> {
    this.flush();
    for (const r of this.db.prepare('SELECT room, at, kind, from_user, text FROM history ORDER BY id').iterate() as IterableIterator<HistoryRow>) {
      yield { history: { room: r.room, at: r.at, kind: r.kind as HistoryEntry['kind'], from: r.from_user, text: r.text } };
    }
    for (const r of this.db.prepare('SELECT to_user, at, from_user, text FROM offline ORDER BY id').iterate() as IterableIterator<OfflineRow>) {
      yield { offline: { to: r.to_user, at: r.at, from: r.from_user, text: r.text } };
    }
  }

  private migrate(file: string): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    let version = row === undefined ? 0 : Number(row.value);
    if (!Number.isInteger(version) || version < 0) throw new StoreError(`--data-dir ${this.dir}: ${file} has an unreadable schema version`);
    if (version > SCHEMA_VERSION) throw new StoreError(`--data-dir ${this.dir}: ${file} was written by a newer chatd (schema ${version}; this one knows ${SCHEMA_VERSION})`);
    while (version < SCHEMA_VERSION) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(version + 1));
      })();
      version++;
    }
  }
}

/** Why a write failed, in a few words for the users whose lines were not saved. */
function cause(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'disk full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'read-only';
  // A file grown past its size limit (EFBIG) reaches us as SQLITE_IOERR_WRITE: SQLite keeps no errno.
  if (code.startsWith('SQLITE_IOERR')) return 'I/O error';
  return 'write error';
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = String(err.code);
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOTDIR' || code === 'EEXIST') return 'not a directory';
    if (code === 'ENOSPC' || code === 'SQLITE_FULL') return 'the disk is full';
  }
  return err instanceof Error ? err.message : String(err);
}
