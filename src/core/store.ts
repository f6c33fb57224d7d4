/**
 * What the chat remembers: room history and private messages for users who are offline. The
 * interface lives in core (the chat logic depends on it); the implementations live in src/store
 * (memory.ts, sqlite.ts, and redis.ts, shared by the nodes of a cluster), all passing one
 * conformance suite (test/unit/store-conformance.test.ts).
 *
 * Contract:
 * - `append` MUST NOT block or throw: the hub's callers are on the hot path. An implementation may
 *   queue the write and batch it (one transaction per event-loop turn); a failed write is counted
 *   in `stats.errors` and reported through `onError`, never thrown into the chat.
 * - Every batch of appends that reaches the disk (or Redis) is reported to the SaveListener set by
 *   `watchSaves`: `unsaved` with the entries a failed write lost (their lines were delivered live;
 *   history.ts tells their senders), `saved` after a batch was written. Called after the write,
 *   from the store's own flush (end of turn, a read, or Redis's answer), never from `append`; a
 *   listener MUST NOT throw. A store that cannot fail (memory) never calls it.
 * - `history` sees everything appended before it was called (pending writes included), oldest
 *   first, at most `limits.history` per room. With `before` (ms), only entries whose `at` is
 *   earlier than it: the last `n` of those (a cursor to page back through a room).
 * - `historyRange` is the general form: the entries strictly between `after` and `before` (either
 *   may be left out), at most `limit` (and `limits.history`) of them, the newest of those or the
 *   oldest (`from`), returned oldest first. `history(room, n, before)` is
 *   `historyRange(room, { before, limit: n })`.
 * - `storeOffline` resolves only once the message is durable (committed): the server tells the
 *   sender "will be delivered" after it resolves. At most `limits.offline` per recipient: beyond,
 *   'full' and nothing stored.
 * - `takeOffline` returns a recipient's stored messages, oldest first, and deletes them.
 * - Entries older than `limits.retentionMs` are purged (`purge`, called by the server).
 */

/** A room event worth remembering: messages, actions and topic changes (not joins, leaves or privates). */
export interface HistoryEntry {
  readonly room: string;
  readonly kind: 'message' | 'action' | 'topic';
  readonly from: string;
  readonly text: string;
  /** ms since the epoch (the event's stamp). */
  readonly at: number;
}

/** A private message kept for a recipient who was offline. */
export interface OfflineEntry {
  readonly to: string;
  readonly from: string;
  readonly text: string;
  readonly at: number;
}

export interface StoreLimits {
  /** Entries kept per room; older ones are deleted. */
  readonly history: number;
  /** Stored private messages per recipient. */
  readonly offline: number;
  /** Entries older than this are purged. */
  readonly retentionMs: number;
}

export interface StoreStats {
  /** Entries written (history appends and offline messages). */
  writes: number;
  /** Transactions committed (SQLite: each batch is one). */
  transactions: number;
  /** Writes that failed (disk full, I/O error); the chat carried on without them. */
  errors: number;
  /** Of those, room lines (appends): delivered live but missing from history. */
  unsaved: number;
}

/** Told how each written batch of appended history went; see the contract. */
export interface SaveListener {
  /**
   * `entries` could not be written (each was already delivered). `cause`: a few words users may
   * read, such as "disk full", "read-only", "out of memory".
   */
  unsaved(entries: readonly HistoryEntry[], cause: string): void;
  /** A batch was written: saving works (again). */
  saved(): void;
}

/** Which entries of a room `historyRange` returns. */
export interface HistoryRange {
  /** Only entries with `at > after` (ms). */
  readonly after?: number;
  /** Only entries with `at < before` (ms). */
  readonly before?: number;
  /** At most this many (and at most `limits.history`). */
  readonly limit: number;
  /** Which end of the range the `limit` keeps: the newest entries (the default) or the oldest. */
  readonly from?: 'newest' | 'oldest';
}

export interface ChatStore {
  /** 'memory', 'sqlite' or 'redis', for the banner and /stats. */
  readonly kind: string;
  /** True when what is stored survives a restart: only then are offline messages kept. */
  readonly durable: boolean;
  readonly limits: StoreLimits;
  readonly stats: StoreStats;
  /** Whether the store can be used now: false once closed and, for Redis, while disconnected (/readyz). */
  readonly open: boolean;
  append(entry: HistoryEntry): void;
  /** Sets who is told how each batch of appends went (one listener: the server's, history.ts watchSaves). */
  watchSaves(listener: SaveListener): void;
  /** The last `n` entries of `room` (those with `at < before` when given), oldest first. */
  history(room: string, n: number, before?: number): Promise<HistoryEntry[]>;
  /** The entries of `room` within `range`, oldest first. */
  historyRange(room: string, range: HistoryRange): Promise<HistoryEntry[]>;
  storeOffline(entry: OfflineEntry): Promise<'stored' | 'full'>;
  takeOffline(user: string): Promise<OfflineEntry[]>;
  /** Deletes entries older than the retention; resolves with how many. */
  purge(now: number): Promise<number>;
  /** Writes what is pending and releases the store. */
  close(): Promise<void>;
}

/** A store error for the start-up line: names the path and the cause, no stack trace. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
