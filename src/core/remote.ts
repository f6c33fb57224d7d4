import { nameKey } from './names.js';

/**
 * Someone online, wherever they are connected: what /who, NAMES, WHOIS and the presence snapshot
 * show. A local ChatMember is one; a user on another node is a RemoteUser.
 */
export interface Person {
  readonly name: string;
  /** Rooms by display spelling. */
  readonly rooms: ReadonlySet<string>;
  readonly away?: string | undefined;
  /** When they logged in, ms since the epoch. */
  readonly signedOnAt?: number;
  /** Their last input, monotonic ms on this node; undefined for a user on another node. */
  readonly lastInputAt?: number;
  /** The node they are connected to; undefined for a user of this node. */
  readonly node?: string;
}

export interface RemoteUser extends Person {
  readonly name: string;
  readonly node: string;
  readonly rooms: Set<string>;
  away: string | undefined;
  readonly signedOnAt: number;
}

/**
 * The users of the other nodes of a cluster, as this node last heard of them (src/cluster/node.ts
 * keeps it up to date from the bus). Pure bookkeeping: no events, no I/O; the hub decides what to
 * announce. Empty on a single server, so every query costs nothing there.
 *
 * Contract:
 * - Names and rooms are keyed by `nameKey`; a room keeps the spelling it was first heard with.
 * - `rooms` of a user and the member sets of rooms always agree.
 * - A user is on exactly one node: adding a name that another node had moves it.
 */
export class RemotePresence {
  private readonly users = new Map<string, RemoteUser>();
  /** nameKey(room) -> its members on other nodes. */
  private readonly roomSets = new Map<string, Set<RemoteUser>>();
  private readonly spellings = new Map<string, string>();

  get size(): number {
    return this.users.size;
  }

  get(name: string): RemoteUser | undefined {
    return this.users.get(nameKey(name));
  }

  all(): IterableIterator<RemoteUser> {
    return this.users.values();
  }

  /** Adds (or replaces) a user; returns it. */
  add(node: string, name: string, signedOnAt: number, away?: string): RemoteUser {
    this.remove(name);
    const user: RemoteUser = { name, node, rooms: new Set(), away, signedOnAt };
    this.users.set(nameKey(name), user);
    return user;
  }

  /** Removes a user from presence and every room; returns them (with their rooms) or undefined. */
  remove(name: string): RemoteUser | undefined {
    const key = nameKey(name);
    const user = this.users.get(key);
    if (user === undefined) return undefined;
    this.users.delete(key);
    for (const room of user.rooms) this.leaveSet(user, room);
    return user;
  }

  /** Puts a known user into `room` (spelt as given when new). False when unknown or already in. */
  join(name: string, room: string): boolean {
    const user = this.get(name);
    const key = nameKey(room);
    const shown = this.spellings.get(key) ?? room;
    if (user === undefined || user.rooms.has(shown)) return false;
    let set = this.roomSets.get(key);
    if (set === undefined) {
      this.roomSets.set(key, (set = new Set()));
      this.spellings.set(key, room);
    }
    set.add(user);
    user.rooms.add(shown);
    return true;
  }

  /** Takes a user out of `room`. False when they were not in it. */
  part(name: string, room: string): boolean {
    const user = this.get(name);
    const shown = this.spelling(room);
    if (user === undefined || shown === undefined || !user.rooms.has(shown)) return false;
    this.leaveSet(user, shown);
    return true;
  }

  /** The users of one node (to drop them when it dies or re-sends its state). */
  ofNode(node: string): RemoteUser[] {
    return [...this.users.values()].filter((u) => u.node === node);
  }

  /** The room's members on other nodes. */
  members(room: string): ReadonlySet<RemoteUser> {
    return this.roomSets.get(nameKey(room)) ?? EMPTY;
  }

  spelling(room: string): string | undefined {
    return this.spellings.get(nameKey(room));
  }

  /** Every room with members elsewhere: spelling and count. */
  roomCounts(): IterableIterator<[string, number]> {
    return mapIter(this.roomSets, (key, set) => [this.spellings.get(key)!, set.size]);
  }

  private leaveSet(user: RemoteUser, shown: string): void {
    user.rooms.delete(shown);
    const key = nameKey(shown);
    const set = this.roomSets.get(key);
    if (set === undefined) return;
    set.delete(user);
    if (set.size === 0) {
      this.roomSets.delete(key);
      this.spellings.delete(key);
    }
  }
}

const EMPTY: ReadonlySet<never> = new Set();

function* mapIter<K, V, T>(map: Map<K, V>, f: (k: K, v: V) => T): IterableIterator<T> {
  for (const [k, v] of map) yield f(k, v);
}
