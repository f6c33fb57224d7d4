import type { ChatStore, HistoryEntry, HistoryRange, OfflineEntry, StoreLimits, StoreStats } from '../core/store.js';
import { DEFAULTS } from '../core/limits.js';

/** One room's lines, oldest first, from index `head` on (dropped slots are cleared), and their size. */
interface RoomLines {
  list: Array<HistoryEntry | undefined>;
  head: number;
  bytes: number;
}

/** Roughly what an entry holds in memory: two bytes per character plus the object. */
function sizeOf(e: HistoryEntry): number {
  return 2 * (e.text.length + e.from.length) + 64;
}

/**
 * The default store: history per room in memory, forgotten at restart. Bounded in lines (--history
 * per room) and in bytes (DEFAULTS.historyRoomBytes per room, DEFAULTS.historyMemoryBytes in all:
 * the room written least recently loses its oldest lines first). Private messages for offline users
 * are kept too (the conformance suite checks them), but the server only offers offline delivery
 * with a durable store (--data-dir), since an acknowledged message must survive a restart.
 */
export class MemoryStore implements ChatStore {
  readonly kind = 'memory';
  readonly durable = false;
  readonly stats: StoreStats = { writes: 0, transactions: 0, errors: 0, unsaved: 0 };
  /** In order of last write: the first is the least recently written room. */
  private readonly rooms = new Map<string, RoomLines>();
  private readonly boxes = new Map<string, OfflineEntry[]>();
  private bytes = 0;
  private closed = false;

  constructor(
    readonly limits: StoreLimits,
    private readonly maxRoomBytes: number = DEFAULTS.historyRoomBytes,
    private readonly maxBytes: number = DEFAULTS.historyMemoryBytes,
  ) {}

  append(entry: HistoryEntry): void {
    let room = this.rooms.get(entry.room);
    if (room === undefined) room = { list: [], head: 0, bytes: 0 };
    else this.rooms.delete(entry.room);
    this.rooms.set(entry.room, room);
    room.list.push(entry);
    const size = sizeOf(entry);
    room.bytes += size;
    this.bytes += size;
    this.stats.writes++;
    while (room.list.length - room.head > this.limits.history || (room.bytes > this.maxRoomBytes && room.list.length - room.head > 1)) this.dropOldest(room);
    for (const [name, other] of this.rooms) {
      if (this.bytes <= this.maxBytes || other === room) break;
      while (other.head < other.list.length) this.dropOldest(other);
      this.rooms.delete(name);
    }
    // Compact once the dropped front is as large as what is kept: O(1) amortised per append.
    if (room.head > 64 && room.head * 2 > room.list.length) {
      room.list = room.list.slice(room.head);
      room.head = 0;
    }
  }

  /** An append in memory cannot fail: there is never anything to tell. */
  watchSaves(): void {}

  history(room: string, n: number, before?: number): Promise<HistoryEntry[]> {
    return this.historyRange(room, before === undefined ? { limit: n } : { before, limit: n });
  }

  historyRange(room: string, range: HistoryRange): Promise<HistoryEntry[]> {
    const r = this.rooms.get(room);
    const keep = Math.min(range.limit, this.limits.history);
    if (r === undefined || keep <= 0) return Promise.resolve([]);
    const { after = -Infinity, before = Infinity } = range;
    const inRange = (e: HistoryEntry): boolean => e.at > after && e.at < before;
    const found: HistoryEntry[] = [];
    if (range.from === 'oldest') {
      for (let i = r.head; i < r.list.length && found.length < keep; i++) if (inRange(r.list[i]!)) found.push(r.list[i]!);
      return Promise.resolve(found);
    }
    // Newest first from the end (at most --history lines per room), then turned oldest first.
    for (let i = r.list.length - 1; i >= r.head && found.length < keep; i--) if (inRange(r.list[i]!)) found.push(r.list[i]!);
    return Promise.resolve(found.reverse());
  }

  private dropOldest(room: RoomLines): void {
    const e = room.list[room.head]!;
    room.list[room.head] = undefined;
    room.head++;
    const size = sizeOf(e);
    room.bytes -= size;
    this.bytes -= size;
  }

  storeOffline(entry: OfflineEntry): Promise<'stored' | 'full'> {
    let box = this.boxes.get(entry.to);
    if (box === undefined) this.boxes.set(entry.to, (box = []));
    if (box.length >= this.limits.offline) return Promise.resolve('full');
    box.push(entry);
    this.stats.writes++;
    return Promise.resolve('stored');
  }

  takeOffline(user: string): Promise<OfflineEntry[]> {
    const box = this.boxes.get(user) ?? [];
    this.boxes.delete(user);
    return Promise.resolve(box);
  }

  purge(now: number): Promise<number> {
    const cutoff = now - this.limits.retentionMs;
    let n = 0;
    for (const [name, room] of this.rooms) {
      while (room.head < room.list.length && room.list[room.head]!.at < cutoff) {
        this.dropOldest(room);
        n++;
      }
      if (room.head === room.list.length) this.rooms.delete(name);
    }
    return Promise.resolve(n + purgeOlder(this.boxes, cutoff));
  }

  get open(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Drops entries older than `cutoff` from every list of `map`; returns how many. */
function purgeOlder<T extends { readonly at: number }>(map: Map<string, T[]>, cutoff: number): number {
  let n = 0;
  for (const [key, list] of map) {
    const kept = list.filter((e) => e.at >= cutoff);
    n += list.length - kept.length;
    if (kept.length === 0) map.delete(key);
    else map.set(key, kept);
  }
  return n;
}
