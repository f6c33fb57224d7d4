import { monotonicMs, type Clock } from './clock.js';
import { isIPv4, isIPv6 } from 'node:net';

export interface ThrottleLimits {
  /** Failed logins allowed per address within windowMs; the one that reaches it starts a ban. */
  failuresPerWindow: number;
  windowMs: number;
  /** How long a banned address is refused. */
  banMs: number;
  /** Most addresses tracked at once; the least recently updated is evicted first. */
  maxEntries: number;
}

interface Entry {
  /** Times of the latest failures, oldest first; at most failuresPerWindow of them. */
  times: number[];
  /** Refused until this time; 0 = not banned. */
  bannedUntil: number;
}

/**
 * Per-address failed-login throttle. Lives for the whole server (on the ChatContext), so counts
 * survive reconnects: a new connection from the same address sees the same entry.
 *
 * Contract:
 * - `retryAfterMs(ip)` is asked before a password is verified; > 0 means refuse without verifying.
 * - `failed(ip)` records one failed login. When `failuresPerWindow` failures fall within any
 *   `windowMs` (a sliding window, so no burst at a window boundary), the address is banned for
 *   `banMs`, and counting starts afresh when the ban ends.
 * - Verifications that were already running when the ban started still finish; each of those
 *   failures extends the ban by banMs / failuresPerWindow. So a burst of parallel guesses (up to
 *   --max-per-ip at once) buys no more guesses per unit of time than guessing one at a time.
 * - A successful login does not reset the count: one known account must not be a way to keep
 *   guessing others from the same address.
 * - Memory is bounded: at most maxEntries entries of at most failuresPerWindow numbers. An entry is
 *   dropped once its ban and its last failure's window have passed (checked lazily on each call,
 *   least recently updated first), or evicted, least recently updated first, when the table is full.
 * - IPv4-mapped IPv6 addresses count as their IPv4 address; other IPv6 addresses count per /64,
 *   since one host usually holds a whole /64 and could otherwise change address per attempt.
 */
export class AuthThrottle {
  /** Insertion order = order of last update, so the first entries are the first to expire. */
  private readonly entries = new Map<string, Entry>();
  /** Logins refused since start, for stats. */
  refusals = 0;
  /**
   * Told of every failure recorded here by `failed` (a cluster passes it to the other nodes, which
   * record it with `failedElsewhere`, so spreading guesses over nodes buys nothing). MUST NOT block.
   */
  shared: ((ip: string) => void) | undefined;

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: Clock = monotonicMs,
  ) {}

  /** Addresses tracked now. */
  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds until `ip` may try again; 0 when it may try now. Counts a refusal when > 0. */
  retryAfterMs(ip: string): number {
    const t = this.now();
    this.sweep(t);
    const entry = this.entries.get(throttleKey(ip));
    if (entry === undefined || entry.bannedUntil <= t) return 0;
    this.refusals++;
    return entry.bannedUntil - t;
  }

  /**
   * How suspect `ip` is, for ordering password checks (the verify queue serves lower first): 0 with
   * no failure on record, else 1 plus its failures in the current window (the record lasts while a
   * ban or the last failure's window does). Counts no refusal.
   */
  standing(ip: string): number {
    this.sweep(this.now());
    const entry = this.entries.get(throttleKey(ip));
    return entry === undefined ? 0 : 1 + entry.times.length;
  }

  /** Records a failed login from `ip`. Returns how long `ip` is now banned for (0 = not banned). */
  failed(ip: string): number {
    this.shared?.(ip);
    return this.failedElsewhere(ip);
  }

  /** Records a failed login from `ip` seen by another node of the cluster (not passed on again). */
  failedElsewhere(ip: string): number {
    const t = this.now();
    this.sweep(t);
    const key = throttleKey(ip);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.limits.maxEntries) this.evictOldest();
      entry = { times: [], bannedUntil: 0 };
    } else {
      // Re-insert so the map stays ordered by last update.
      this.entries.delete(key);
    }
    this.entries.set(key, entry);

    const { failuresPerWindow, windowMs, banMs } = this.limits;
    if (entry.bannedUntil > t) {
      entry.bannedUntil += Math.ceil(banMs / failuresPerWindow);
      return entry.bannedUntil - t;
    }
    entry.times.push(t);
    if (entry.times.length > failuresPerWindow) entry.times.shift();
    if (entry.times.length < failuresPerWindow || t - entry.times[0]! >= windowMs) return 0;
    entry.bannedUntil = t + banMs;
    entry.times = [];
    return banMs;
  }

  /** Drops expired entries from the front (least recently updated). Amortised O(1) per call. */
  private sweep(t: number): void {
    for (const [key, entry] of this.entries) {
      if (!this.expired(entry, t)) return;
      this.entries.delete(key);
    }
  }

  private expired(entry: Entry, t: number): boolean {
    const last = entry.times[entry.times.length - 1];
    return entry.bannedUntil <= t && (last === undefined || t - last >= this.limits.windowMs);
  }

  private evictOldest(): void {
    const first = this.entries.keys().next();
    if (first.done !== true) this.entries.delete(first.value);
  }
}

/**
 * The key an address is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 prefix,
 * anything else (e.g. 'unknown') as is.
 */
export function throttleKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.toLowerCase().split('::');
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let left = part(head);
  let right = tail === undefined ? [] : part(tail);
  // A trailing dotted IPv4 part is two groups.
  const v4 = (groups: string[]): string[] => {
    const last = groups[groups.length - 1];
    if (last === undefined || !last.includes('.')) return groups;
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  left = v4(left);
  right = v4(right);
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}
