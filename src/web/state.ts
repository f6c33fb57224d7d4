// What the page knows: who is online and where, the rooms, the user's own rooms, and one
// conversation per room or private partner with its unread count. Pure data, no DOM, so the rules
// (counts, who leaves which room on logout, unread) live in one place.
import type { PresenceUser, RoomInfo } from '../protocols/ws/messages.js';

/** A conversation's key: `#room` or `@user`, the same text the page shows as its name. */
export type ConvKey = `#${string}` | `@${string}`;

export const roomKey = (room: string): ConvKey => `#${room}`;
export const privateKey = (user: string): ConvKey => `@${user}`;

export interface Conversation {
  readonly key: ConvKey;
  readonly kind: 'room' | 'private';
  /** The room or the partner's name, without the sign. */
  readonly name: string;
  unread: number;
}

interface Room {
  count: number;
  topic: string;
}

export class ChatState {
  me = '';
  /** Rooms the user is in, in the order entered (the nav lists them so). */
  readonly joined = new Set<string>();
  readonly rooms = new Map<string, Room>();
  /** Everyone online -> the rooms they are in. */
  readonly users = new Map<string, Set<string>>();
  readonly conversations = new Map<ConvKey, Conversation>();
  current: ConvKey | null = null;
  /** Whether the page is out of sight: then even the current conversation collects unread. */
  hidden = false;

  /** Forgets everything: a (possibly different) user logs in on this page. */
  reset(): void {
    this.me = '';
    this.joined.clear();
    this.rooms.clear();
    this.users.clear();
    this.conversations.clear();
    this.current = null;
  }

  /** A login (or a login again after a reconnect): the server's rooms are the truth from now on. */
  welcome(user: string, rooms: readonly string[]): void {
    this.me = user;
    this.joined.clear();
    for (const room of rooms) this.enter(user, room);
  }

  presence(users: readonly PresenceUser[], rooms: readonly RoomInfo[]): void {
    this.users.clear();
    this.rooms.clear();
    for (const r of rooms) this.rooms.set(r.room, { count: r.count, topic: r.topic ?? '' });
    for (const u of users) this.users.set(u.name, new Set(u.rooms));
    const mine = this.users.get(this.me);
    if (mine) {
      this.joined.clear();
      for (const room of mine) this.joined.add(room);
    }
    for (const room of this.joined) this.conversation(roomKey(room));
  }

  /** `user` entered `room`; false when the page knew it already (a repeated frame changes nothing). */
  enter(user: string, room: string): boolean {
    let rooms = this.users.get(user);
    if (!rooms) this.users.set(user, (rooms = new Set()));
    if (user === this.me) {
      this.joined.add(room);
      this.conversation(roomKey(room));
    }
    if (rooms.has(room)) return false;
    rooms.add(room);
    const info = this.rooms.get(room);
    if (info) info.count += 1;
    else this.rooms.set(room, { count: 1, topic: '' });
    return true;
  }

  /** `user` left `room`, or every room (`logout`); returns the rooms the user was seen leaving. */
  leave(user: string, room: string, how: 'logout' | 'part'): string[] {
    const rooms = this.users.get(user);
    const gone = how === 'logout' ? [...(rooms ?? [room])] : [room];
    for (const r of gone) {
      rooms?.delete(r);
      const info = this.rooms.get(r);
      if (info && info.count > 0) info.count -= 1;
      if (user === this.me) this.joined.delete(r);
    }
    if (how === 'logout') this.users.delete(user);
    return gone;
  }

  setTopic(room: string, text: string): void {
    const info = this.rooms.get(room);
    if (info) info.topic = text;
    else this.rooms.set(room, { count: 0, topic: text });
  }

  topic(room: string): string {
    return this.rooms.get(room)?.topic ?? '';
  }

  isOnline(user: string): boolean {
    return this.users.has(user);
  }

  /**
   * `typed` as the chat spells it: the server matches names ASCII case-insensitively, so `@USER2`
   * reaches user2, and the conversation must be the one user2's answers land in. Unknown names
   * (offline users) stay as typed.
   */
  spelling(typed: string): string {
    if (this.users.has(typed)) return typed;
    const key = typed.toLowerCase();
    for (const name of this.users.keys()) if (name.toLowerCase() === key) return name;
    return typed;
  }

  /** Who is in `room`, sorted, the user first. */
  members(room: string): string[] {
    const names: string[] = [];
    for (const [name, rooms] of this.users) if (rooms.has(room) && name !== this.me) names.push(name);
    names.sort((a, b) => a.localeCompare(b));
    return this.joined.has(room) ? [this.me, ...names] : names;
  }

  /** Rooms the user is not in, biggest first: the ones a click joins. */
  otherRooms(limit: number): Array<[string, number]> {
    return [...this.rooms]
      .filter(([room, info]) => !this.joined.has(room) && info.count > 0)
      .map(([room, info]): [string, number] => [room, info.count])
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit);
  }

  privates(): Conversation[] {
    return [...this.conversations.values()].filter((c) => c.kind === 'private');
  }

  conversation(key: ConvKey): Conversation {
    let c = this.conversations.get(key);
    if (!c) {
      c = { key, kind: key.startsWith('#') ? 'room' : 'private', name: key.slice(1), unread: 0 };
      this.conversations.set(key, c);
    }
    return c;
  }

  open(key: ConvKey): Conversation {
    const c = this.conversation(key);
    this.current = key;
    c.unread = 0;
    return c;
  }

  /**
   * Something worth reading arrived in `key`: counted unless the user is looking at it. True when it
   * is the first the user has not seen since they last looked there: the unread marker goes above it.
   */
  arrived(key: ConvKey): boolean {
    const c = this.conversation(key);
    if (key === this.current && !this.hidden) return false;
    c.unread += 1;
    return c.unread === 1;
  }

  /** The page came back into sight: what the user now sees is read. */
  seen(): void {
    this.hidden = false;
    if (this.current) this.conversation(this.current).unread = 0;
  }

  unreadTotal(): number {
    let total = 0;
    for (const c of this.conversations.values()) total += c.unread;
    return total;
  }
}
