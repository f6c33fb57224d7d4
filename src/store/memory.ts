import type { ChatStore, HistoryEntry, OfflineEntry, StoreLimits, StoreStats } from '../core/store.js';

/**
 * The default store: a bounded ring of history per room, in memory; forgotten at restart. Private
 * messages for offline users are kept too (the conformance suite checks them), but the server only
 * offers offline delivery with a durable store (--data-dir), since an acknowledged message must
 * survive a restart.
 */
export class MemoryStore implements ChatStore {
  readonly kind = 'memory';
  readonly durable = false;
  readonly stats: StoreStats = { writes: 0, transactions: 0, errors: 0 };
  private readonly rooms = new Map<string, HistoryEntry[]>();
  private readonly boxes = new Map<string, OfflineEntry[]>();

  constructor(readonly limits: StoreLimits) {}

  append(entry: HistoryEntry): void {
    let list = this.rooms.get(entry.room);
    if (list === undefined) this.rooms.set(entry.room, (list = []));
    list.push(entry);
    // Trimmed in halves, so the cost per append stays O(1) amortised.
    if (list.length >= 2 * this.limits.history) list.splice(0, list.length - this.limits.history);
    this.stats.writes++;
  }

  history(room: string, n: number): Promise<HistoryEntry[]> {
    const list = this.rooms.get(room) ?? [];
    const keep = Math.min(n, this.limits.history);
    return Promise.resolve(keep <= 0 ? [] : list.slice(-keep));
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
    return Promise.resolve(purgeOlder(this.rooms, cutoff) + purgeOlder(this.boxes, cutoff));
  }

  close(): Promise<void> {
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
