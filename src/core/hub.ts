import type { ChatEvent, Renderer, Stamp } from './events.js';
import type { Outbox } from './outbox.js';
import { DEFAULTS } from './limits.js';
import { wallMs, type Clock } from './clock.js';
import { NoticeBatch } from './notice-batch.js';
import { nameKey } from './names.js';

/**
 * A logged-in user as the hub sees them (src/core/member.ts implements it for every protocol). The
 * hub never sees a socket: it renders events with `renderer` and pushes the bytes into `outbox`.
 */
export interface Member {
  readonly name: string;
  readonly renderer: Renderer;
  readonly outbox: Outbox;
  /** Hub-owned: the rooms the member is in, in the order joined. Only the hub changes it. */
  readonly rooms: Set<string>;
}

export interface HubOptions {
  /** The room everyone starts in. */
  defaultRoom: string;
  /** Most rooms that may exist at once. */
  maxRooms: number;
  /** Most rooms one member may be in at once (IRC's CHANLIMIT). */
  maxRoomsPerMember: number;
  /** Join/leave notices are sent only in rooms with at most this many members (0 = always). */
  announceLimit: number;
  /** Join/leave notices are collected for this long (ms) and sent as one chunk; 0 = at once. */
  noticeDelayMs: number;
  /** Wall clock for event stamps (ms since the epoch). */
  now: Clock;
  /** Names the node in event stamps. */
  origin: string;
}

export type JoinResult = 'joined' | 'already-in' | 'too-many-rooms' | 'too-many-joined';
export type MoveResult = 'moved' | 'same-room' | 'too-many-rooms';

export interface Topic {
  readonly text: string;
  readonly by: string;
  /** When it was set, ms since the epoch. */
  readonly at: number;
}

/**
 * Presence, rooms and routing. Pure and synchronous.
 *
 * Contract:
 * - No method awaits or blocks; fan-out only calls Outbox.push, which never blocks. So one slow
 *   recipient can never delay the sender or anyone else.
 * - A broadcast is rendered once per renderer (protocol) and the same Buffer goes to every recipient.
 * - Name lookups are O(1) (Map); a room broadcast is O(members of the room).
 * - Names and rooms are case-insensitive (ASCII, `nameKey`) for every protocol: `get('USER1')` finds
 *   `user1`, and `Dev` is the room `dev`. A member's name is shown as they logged in; a room is
 *   shown as first spelt while it exists (member.rooms, events and lists hold that spelling), so a
 *   room name given to any method here may be in any case.
 * - A member may be in several rooms. A message to a room reaches each of its members once; a
 *   logout reaches each neighbour once, however many rooms they share.
 * - Every event the hub creates is stamped (id, time, origin) here, once.
 * - Join/leave notices may be held for noticeDelayMs (one unref'd timer for all rooms), but every
 *   member still sees events in the order they happened: a message to a room, a private message to
 *   a member and a member's part first send the held notices of the rooms concerned.
 */
export class Hub<M extends Member = Member> {
  /** nameKey(name) -> member. */
  private readonly users = new Map<string, M>();
  /** Keyed by a room's display spelling (see `spelling`). */
  private readonly rooms = new Map<string, Set<M>>();
  /** nameKey(room) -> the room's display spelling, for every room that exists. */
  private readonly spellings = new Map<string, string>();
  private readonly topics = new Map<string, Topic>();
  /** When each room was created (its first member entered), ms since the epoch: IRC's channel creation time. */
  private readonly created = new Map<string, number>();
  /** Held join/leave notices per room (noticeDelayMs > 0). */
  private readonly held = new Map<string, NoticeBatch>();
  private heldTimer: NodeJS.Timeout | undefined;
  private seq = 0;

  /** Counters for stats and metrics. */
  deliveries = 0;

  readonly defaultRoom: string;
  private readonly opts: HubOptions;

  constructor(opts: Partial<HubOptions> = {}) {
    this.opts = {
      defaultRoom: opts.defaultRoom ?? DEFAULTS.defaultRoom,
      maxRooms: opts.maxRooms ?? DEFAULTS.maxRooms,
      maxRoomsPerMember: opts.maxRoomsPerMember ?? DEFAULTS.maxRoomsPerUser,
      announceLimit: opts.announceLimit ?? DEFAULTS.announceLimit,
      noticeDelayMs: opts.noticeDelayMs ?? DEFAULTS.noticeDelayMs,
      now: opts.now ?? wallMs,
      origin: opts.origin ?? 'local',
    };
    this.defaultRoom = this.opts.defaultRoom;
  }

  get size(): number {
    return this.users.size;
  }

  /** The wall clock events are stamped with (ms since the epoch). */
  now(): number {
    return this.opts.now();
  }

  get(name: string): M | undefined {
    return this.users.get(nameKey(name));
  }

  /** How `room` is spelt while it exists (its first spelling); `room` itself when it does not. */
  spelling(room: string): string {
    return this.spellings.get(nameKey(room)) ?? room;
  }

  members(): IterableIterator<M> {
    return this.users.values();
  }

  /** Adds a member to presence (in no room yet). False if the name is taken. */
  add(member: M): boolean {
    const key = nameKey(member.name);
    if (this.users.has(key)) return false;
    this.users.set(key, member);
    return true;
  }

  /**
   * Removes a member (any cause) from presence and every room, announcing one leave per neighbour
   * unless told not to; `reason` is the user's own parting words (IRC's QUIT :reason). Idempotent.
   */
  remove(member: M, announce = true, reason?: string): void {
    const key = nameKey(member.name);
    if (this.users.get(key) !== member) return;
    this.users.delete(key);
    const rooms = [...member.rooms];
    if (rooms.length === 1) {
      const room = rooms[0]!;
      this.exit(member, room);
      if (announce) this.announce(room, { kind: 'left', stamp: this.stamp(), user: member.name, room, how: 'logout', reason }, member);
      return;
    }
    // In several rooms: the neighbours first get what is held for those rooms, then one leave each.
    const neighbours = this.neighbours(member);
    for (const room of rooms) this.exit(member, room);
    if (announce && neighbours.size > 0) this.toAll(neighbours, { kind: 'left', stamp: this.stamp(), user: member.name, room: rooms[0]!, how: 'logout', reason });
  }

  /** Enters `room` (created on first use), announcing it there. */
  join(member: M, spelt: string, how: 'login' | 'join' = 'join'): JoinResult {
    const room = this.spelling(spelt);
    if (member.rooms.has(room)) return 'already-in';
    if (member.rooms.size >= this.opts.maxRoomsPerMember) return 'too-many-joined';
    if (!this.rooms.has(room) && this.rooms.size >= this.opts.maxRooms) return 'too-many-rooms';
    this.enter(member, room);
    this.announce(room, { kind: 'joined', stamp: this.stamp(), user: member.name, room, how }, member);
    return 'joined';
  }

  /** Leaves one room, announcing it there. False if the member was not in it. */
  part(member: M, spelt: string): boolean {
    const room = this.spelling(spelt);
    if (!member.rooms.has(room)) return false;
    // The leaver gets the room's held notices while still a member.
    this.sendHeld(room);
    this.exit(member, room);
    this.announce(room, { kind: 'left', stamp: this.stamp(), user: member.name, room, how: 'part' }, member);
    return true;
  }

  /** The text protocol's /join: leave every room, enter `room`. Checked before anything changes. */
  move(member: M, spelt: string): MoveResult {
    const room = this.spelling(spelt);
    if (member.rooms.has(room)) return 'same-room';
    if (!this.rooms.has(room) && this.rooms.size >= this.opts.maxRooms) return 'too-many-rooms';
    for (const old of [...member.rooms]) this.part(member, old);
    this.join(member, room);
    return 'moved';
  }

  /** `from` says `text` to the rest of `room`. Undefined when `from` is not in it. */
  say(from: M, room: string, text: string): ChatEvent | undefined {
    return this.toMembers(from, { kind: 'message', stamp: this.stamp(), from: from.name, room: this.spelling(room), text });
  }

  /** `/me`: an action, to the rest of the room. Undefined when `from` is not in it. */
  act(from: M, room: string, text: string): ChatEvent | undefined {
    return this.toMembers(from, { kind: 'action', stamp: this.stamp(), from: from.name, room: this.spelling(room), text });
  }

  /** A private message. Undefined when the target is not online. */
  whisper(from: M, to: string, text: string): ChatEvent | undefined {
    const target = this.get(to);
    if (!target) return undefined;
    // Held notices the target has not seen come first, so no one sees events out of order.
    for (const room of target.rooms) this.sendHeld(room);
    const event: ChatEvent = { kind: 'private', stamp: this.stamp(), from: from.name, to: target.name, text };
    this.deliver(target, target.renderer.render(event));
    return event;
  }

  /**
   * `member` set (`text`) or cleared ('') their away status: one event to each neighbour, however
   * many rooms they share, after the held notices of those rooms.
   */
  away(member: M, text: string): ChatEvent {
    const event: ChatEvent = { kind: 'away', stamp: this.stamp(), user: member.name, text };
    this.toAll(this.neighbours(member), event);
    return event;
  }

  /** Sets (or with '' clears) a room's topic and tells every member, the setter included. */
  setTopic(by: M, spelt: string, text: string): ChatEvent | undefined {
    const room = this.spelling(spelt);
    if (!by.rooms.has(room)) return undefined;
    const event: ChatEvent = { kind: 'topic', stamp: this.stamp(), by: by.name, room, text };
    if (text === '') this.topics.delete(room);
    else this.topics.set(room, { text, by: by.name, at: event.stamp.at });
    this.sendHeld(room);
    this.toRoom(room, event);
    return event;
  }

  topic(room: string): Topic | undefined {
    return this.topics.get(this.spelling(room));
  }

  /** When `room` was created, ms since the epoch; undefined when it does not exist. */
  createdAt(room: string): number | undefined {
    return this.created.get(this.spelling(room));
  }

  /** Everyone online with their rooms, sorted by name. */
  who(): Array<{ name: string; rooms: string[] }> {
    return [...this.users.values()].map((m) => ({ name: m.name, rooms: [...m.rooms] })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * The first `limit` members by name, with their rooms, and how many are online: what a presence
   * snapshot needs at every login, in O(N log limit) without copying and sorting everyone.
   */
  whoFirst(limit: number): { users: Array<{ name: string; rooms: string[] }>; total: number } {
    const top: M[] = [];
    for (const m of this.users.values()) {
      if (top.length === limit && m.name >= top[limit - 1]!.name) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (top[mid]!.name < m.name) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, m);
      if (top.length > limit) top.pop();
    }
    return { users: top.map((m) => ({ name: m.name, rooms: [...m.rooms] })), total: this.users.size };
  }

  /** Rooms with their member counts, sorted by name. */
  roomList(): Array<{ room: string; count: number }> {
    return [...this.rooms.entries()].map(([room, set]) => ({ room, count: set.size })).sort((a, b) => (a.room < b.room ? -1 : 1));
  }

  /** The members of one room (empty when it does not exist). */
  roomMembers(room: string): ReadonlySet<M> {
    return this.rooms.get(this.spelling(room)) ?? EMPTY;
  }

  /** Sends an event to everyone in `room` except `except`. Rendered once per renderer. */
  toRoom(room: string, event: ChatEvent, except?: M): void {
    const set = this.rooms.get(this.spelling(room));
    if (set) this.toAll(set, event, except);
  }

  /** Sends every held join/leave notice now (the timer, and shutdown). */
  flushNotices(): void {
    if (this.heldTimer !== undefined) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    for (const room of [...this.held.keys()]) this.sendHeld(room);
  }

  private stamp(): Stamp {
    return { id: ++this.seq, at: this.now(), origin: this.opts.origin };
  }

  /** A room message from a member of the room to the others in it. */
  private toMembers(from: M, event: ChatEvent & { room: string }): ChatEvent | undefined {
    if (!from.rooms.has(event.room)) return undefined;
    this.sendHeld(event.room);
    this.toRoom(event.room, event, from);
    return event;
  }

  /** Renders once per renderer and pushes the same bytes to each recipient. */
  private toAll(recipients: Iterable<M>, event: ChatEvent, except?: M): void {
    let renderer: Renderer | undefined;
    let bytes: Buffer | undefined;
    let cache: Map<Renderer, Buffer> | undefined;
    for (const m of recipients) {
      if (m === except) continue;
      if (m.renderer !== renderer) {
        // Rooms usually hold one protocol; a Map is only built when a second one shows up.
        if (renderer !== undefined && bytes !== undefined) (cache ??= new Map()).set(renderer, bytes);
        renderer = m.renderer;
        bytes = cache?.get(renderer) ?? renderer.render(event);
      }
      this.deliver(m, bytes!);
    }
  }

  /**
   * Everyone sharing a room with `member` (not themselves), once each, in the rooms that announce
   * (at most --announce-limit members); the held notices of those rooms are sent first.
   */
  private neighbours(member: M): ReadonlySet<M> {
    const found = new Set<M>();
    for (const room of member.rooms) {
      this.sendHeld(room);
      const set = this.rooms.get(room);
      if (set !== undefined && this.announced(set.size)) for (const m of set) found.add(m);
    }
    found.delete(member);
    return found;
  }

  private announced(size: number): boolean {
    return this.opts.announceLimit === 0 || size <= this.opts.announceLimit;
  }

  /**
   * Join/leave notices. In a room of thousands they would cost O(members) per login, O(N^2) for a
   * crowd arriving, and drown the chat, so big rooms are quiet (as large IRC/Twitch channels are).
   */
  private announce(room: string, event: ChatEvent, subject: M): void {
    const joining = event.kind === 'joined';
    let batch = this.held.get(room);
    // A joiner sees only notices that follow their own arrival, even when their own is not sent.
    if (joining && batch !== undefined) batch.entered(subject);
    if (!this.announced(this.rooms.get(room)?.size ?? 0)) return;
    if (this.opts.noticeDelayMs === 0) return this.toRoom(room, event, subject);
    if (batch === undefined) this.held.set(room, (batch = new NoticeBatch()));
    batch.add(event);
    if (joining) batch.entered(subject);
    if (this.heldTimer === undefined) {
      this.heldTimer = setTimeout(onHeldTimer, this.opts.noticeDelayMs, this);
      this.heldTimer.unref();
    }
  }

  /** Sends the held notices of one room to its members, one chunk each. */
  private sendHeld(room: string): void {
    const batch = this.held.get(room);
    if (batch === undefined) return;
    this.held.delete(room);
    const set = this.rooms.get(room);
    if (!set) return;
    for (const m of set) {
      const n = batch.countFor(m);
      if (n > 0) this.deliver(m, batch.bytesFor(m), n);
    }
  }

  /** Pushes `bytes` (holding `notices` events) to one member; deliveries count events, not chunks. */
  private deliver(m: M, bytes: Buffer, notices = 1): void {
    // An empty render: this protocol shows nothing for the event (see Renderer).
    if (bytes.length === 0) return;
    if (m.outbox.push(bytes)) this.deliveries += notices;
  }

  private enter(m: M, room: string): void {
    let set = this.rooms.get(room);
    if (!set) {
      this.rooms.set(room, (set = new Set()));
      this.spellings.set(nameKey(room), room);
      this.created.set(room, this.now());
    }
    set.add(m);
    m.rooms.add(room);
  }

  private exit(m: M, room: string): void {
    m.rooms.delete(room);
    const set = this.rooms.get(room);
    if (!set) return;
    set.delete(m);
    if (set.size === 0) {
      this.rooms.delete(room);
      this.spellings.delete(nameKey(room));
      this.topics.delete(room);
      this.created.delete(room);
    }
  }
}

const EMPTY: ReadonlySet<never> = new Set();

function onHeldTimer(hub: Hub<Member>): void {
  hub.flushNotices();
}
