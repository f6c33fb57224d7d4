import type { ChatEvent, Renderer, Stamp } from './events.js';
import type { Outbox } from './outbox.js';
import { DEFAULTS } from './limits.js';
import { wallMs, type Clock } from './clock.js';
import { NoticeBatch } from './notice-batch.js';
import { nameKey } from './names.js';
import { RemotePresence, type Person, type RemoteUser } from './remote.js';

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

/**
 * Where the hub reports what happens on this node, for the other nodes of a cluster
 * (src/cluster/node.ts). Absent on a single server.
 *
 * Contract: every method is called after the local change and delivery are done, MUST NOT block or
 * throw, and MUST NOT call back into the hub synchronously.
 */
export interface HubLink {
  /** A member of this node came online (before their login join). */
  online(member: Person): void;
  /** A member of this node left the chat; `announce`: whether neighbours are told. */
  offline(name: string, announce: boolean, reason: string | undefined): void;
  /** An event a member of this node caused: joined, left (part), away, topic, message, action. */
  event(event: ChatEvent): void;
  /** A private message to a user of another node. False when it could not be sent (bus down). */
  privateTo(node: string, event: ChatEvent): boolean;
  /** The first member of this node entered `room` / the last one left it. */
  roomOpened(room: string): void;
  roomClosed(room: string): void;
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
  /** nameKey(room) -> its topic, for every room with members on any node. */
  private readonly topics = new Map<string, Topic>();
  /** nameKey(room) -> when it was created here (its first member entered), ms since the epoch: IRC's channel creation time. */
  private readonly created = new Map<string, number>();
  /** The users of the other nodes of a cluster (empty on a single server). */
  readonly remote = new RemotePresence();
  /** Set by the cluster (src/cluster/node.ts); undefined on a single server. */
  link: HubLink | undefined;
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

  /** Members of this node. */
  get size(): number {
    return this.users.size;
  }

  /** Users online on every node. */
  get total(): number {
    return this.users.size + this.remote.size;
  }

  /** The wall clock events are stamped with (ms since the epoch). */
  now(): number {
    return this.opts.now();
  }

  get(name: string): M | undefined {
    return this.users.get(nameKey(name));
  }

  /** Anyone online, on this node or another (a member of this node first). */
  find(name: string): Person | undefined {
    return this.users.get(nameKey(name)) ?? this.remote.get(name);
  }

  /** How `room` is spelt while it exists (its first spelling); `room` itself when it does not. */
  spelling(room: string): string {
    const key = nameKey(room);
    return this.spellings.get(key) ?? this.remote.spelling(key) ?? room;
  }

  members(): IterableIterator<M> {
    return this.users.values();
  }

  /** Adds a member to presence (in no room yet). False if the name is taken. */
  add(member: M): boolean {
    const key = nameKey(member.name);
    if (this.users.has(key)) return false;
    this.users.set(key, member);
    this.link?.online(member);
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
    } else {
      // In several rooms: the neighbours first get what is held for those rooms, then one leave each.
      const neighbours = this.neighbours(member);
      for (const room of rooms) this.exit(member, room);
      if (announce && neighbours.size > 0) this.toAll(neighbours, { kind: 'left', stamp: this.stamp(), user: member.name, room: rooms[0]!, how: 'logout', reason });
    }
    this.link?.offline(member.name, announce, reason);
  }

  /** Enters `room` (created on first use), announcing it there. */
  join(member: M, spelt: string, how: 'login' | 'join' = 'join'): JoinResult {
    const room = this.spelling(spelt);
    if (member.rooms.has(room)) return 'already-in';
    if (member.rooms.size >= this.opts.maxRoomsPerMember) return 'too-many-joined';
    if (!this.rooms.has(room) && this.roomCount() >= this.opts.maxRooms) return 'too-many-rooms';
    this.enter(member, room);
    const event: ChatEvent = { kind: 'joined', stamp: this.stamp(), user: member.name, room, how };
    this.announce(room, event, member);
    this.link?.event(event);
    return 'joined';
  }

  /** Leaves one room, announcing it there. False if the member was not in it. */
  part(member: M, spelt: string): boolean {
    const room = this.spelling(spelt);
    if (!member.rooms.has(room)) return false;
    // The leaver gets the room's held notices while still a member.
    this.sendHeld(room);
    this.exit(member, room);
    const event: ChatEvent = { kind: 'left', stamp: this.stamp(), user: member.name, room, how: 'part' };
    this.announce(room, event, member);
    this.link?.event(event);
    return true;
  }

  /** The text protocol's /join: leave every room, enter `room`. Checked before anything changes. */
  move(member: M, spelt: string): MoveResult {
    const room = this.spelling(spelt);
    if (member.rooms.has(room)) return 'same-room';
    if (!this.rooms.has(room) && this.roomCount() >= this.opts.maxRooms) return 'too-many-rooms';
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

  /** A private message. Undefined when the target is not online (on any node). */
  whisper(from: M, to: string, text: string): ChatEvent | undefined {
    const target = this.get(to);
    if (!target) {
      const elsewhere = this.remote.get(to);
      if (elsewhere === undefined || this.link === undefined) return undefined;
      const event: ChatEvent = { kind: 'private', stamp: this.stamp(), from: from.name, to: elsewhere.name, text };
      // Not sent is not delivered: the caller then treats the user as unreachable (offline).
      return this.link.privateTo(elsewhere.node, event) ? event : undefined;
    }
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
    this.link?.event(event);
    return event;
  }

  /** Sets (or with '' clears) a room's topic and tells every member, the setter included. */
  setTopic(by: M, spelt: string, text: string): ChatEvent | undefined {
    const room = this.spelling(spelt);
    if (!by.rooms.has(room)) return undefined;
    const event: ChatEvent = { kind: 'topic', stamp: this.stamp(), by: by.name, room, text };
    this.keepTopic(room, by.name, text, event.stamp.at);
    this.sendHeld(room);
    this.toRoom(room, event);
    this.link?.event(event);
    return event;
  }

  topic(room: string): Topic | undefined {
    return this.topics.get(nameKey(room));
  }

  /** When `room` was created, ms since the epoch; undefined when it does not exist (on any node). */
  createdAt(room: string): number | undefined {
    return this.created.get(nameKey(room));
  }

  /** Everyone online (on every node) with their rooms, sorted by name. */
  who(): Array<{ name: string; rooms: string[] }> {
    return [...this.people()].map((m) => ({ name: m.name, rooms: [...m.rooms] })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Everyone online: this node's members, then the other nodes' users. */
  *people(): IterableIterator<Person> {
    yield* this.users.values();
    for (const u of this.remote.all()) if (!this.users.has(nameKey(u.name))) yield u;
  }

  /** The members of one room on every node (this node's first). */
  roomPeople(room: string): Person[] {
    const local: Person[] = [...this.roomMembers(room)];
    const remote = this.remote.members(room);
    return remote.size === 0 ? local : [...local, ...remote];
  }

  /**
   * The first `limit` members by name, with their rooms, and how many are online: what a presence
   * snapshot needs at every login, in O(N log limit) without copying and sorting everyone.
   */
  whoFirst(limit: number): { users: Array<{ name: string; rooms: string[] }>; total: number } {
    const top: Person[] = [];
    for (const m of this.people()) {
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
    return { users: top.map((m) => ({ name: m.name, rooms: [...m.rooms] })), total: this.total };
  }

  /** Rooms with their member counts on every node, sorted by name. */
  roomList(): Array<{ room: string; count: number }> {
    const counts = new Map<string, { room: string; count: number }>();
    for (const [room, set] of this.rooms) counts.set(nameKey(room), { room, count: set.size });
    for (const [room, n] of this.remote.roomCounts()) {
      const here = counts.get(nameKey(room));
      if (here !== undefined) here.count += n;
      else counts.set(nameKey(room), { room, count: n });
    }
    return [...counts.values()].sort((a, b) => (a.room < b.room ? -1 : 1));
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
    this.link?.event(event);
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
    const found = this.neighboursOf(member.rooms);
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
  private announce(room: string, event: ChatEvent, subject: M | undefined): void {
    const joining = event.kind === 'joined' && subject !== undefined;
    let batch = this.held.get(room);
    // A joiner sees only notices that follow their own arrival, even when their own is not sent.
    if (joining && batch !== undefined) batch.entered(subject);
    if (!this.announced(this.roomSize(room))) return;
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
      const key = nameKey(room);
      this.spellings.set(key, room);
      if (!this.created.has(key)) this.created.set(key, this.now());
      this.link?.roomOpened(room);
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
      this.link?.roomClosed(room);
      this.forgetIfEmpty(room);
    }
  }

  /** A room with no member on any node loses its topic and creation time. */
  private forgetIfEmpty(room: string): void {
    const key = nameKey(room);
    if (this.spellings.has(key) || this.remote.members(key).size > 0) return;
    this.topics.delete(key);
    this.created.delete(key);
  }

  private keepTopic(room: string, by: string, text: string, at: number): void {
    if (text === '') this.topics.delete(nameKey(room));
    else this.topics.set(nameKey(room), { text, by, at });
  }

  /** Rooms that exist on any node. */
  private roomCount(): number {
    let n = this.rooms.size;
    for (const [room] of this.remote.roomCounts()) if (!this.spellings.has(nameKey(room))) n++;
    return n;
  }

  // ---- Events from the other nodes of a cluster (src/cluster/node.ts calls these). ----
  // Each applies the change to RemotePresence and delivers to this node's members exactly what
  // the same change made here would have delivered; none of them calls the link back.

  /** A user of another node came online. */
  remoteOnline(node: string, name: string, signedOnAt: number, away?: string): RemoteUser {
    return this.remote.add(node, name, signedOnAt, away);
  }

  /** A topic another node's state snapshot told of: kept when newer than ours, announced to no one. */
  learnTopic(room: string, by: string, text: string, at: number): void {
    if (this.roomSize(this.spelling(room)) === 0) return;
    const known = this.topics.get(nameKey(room));
    if (known === undefined || known.at < at) this.keepTopic(room, by, text, at);
  }

  /** A user of another node left the chat (one leave per neighbour here, when `announce`). */
  remoteOffline(name: string, announce: boolean, reason: string | undefined, stamp: Stamp): void {
    const user = this.remote.get(name);
    if (user === undefined) return;
    const rooms = [...user.rooms];
    const neighbours: ReadonlySet<M> = announce ? this.neighboursOf(rooms) : EMPTY;
    this.remote.remove(name);
    for (const room of rooms) this.forgetIfEmpty(room);
    if (neighbours.size > 0) this.toAll(neighbours, { kind: 'left', stamp, user: user.name, room: this.spelling(rooms[0]!), how: 'logout', reason });
  }

  /** A stamped event caused by a user of another node: presence changes, room messages, privates. */
  remoteEvent(event: ChatEvent): void {
    switch (event.kind) {
      case 'joined': {
        const room = this.spelling(event.room);
        if (!this.remote.join(event.user, room)) return;
        const key = nameKey(room);
        if (!this.created.has(key)) this.created.set(key, event.stamp.at);
        return this.announce(room, { ...event, room }, undefined);
      }
      case 'left': {
        const room = this.spelling(event.room);
        if (!this.remote.part(event.user, room)) return;
        this.sendHeld(room);
        this.forgetIfEmpty(room);
        return this.announce(room, { ...event, room }, undefined);
      }
      case 'away': {
        const user = this.remote.get(event.user);
        if (user === undefined) return;
        user.away = event.text === '' ? undefined : event.text;
        return this.toAll(this.neighboursOf(user.rooms), event);
      }
      case 'topic': {
        const room = this.spelling(event.room);
        // Only for a room that exists: a topic is forgotten with its room, so none may outlive it.
        if (this.roomSize(room) === 0) return;
        this.keepTopic(room, event.by, event.text, event.stamp.at);
        this.sendHeld(room);
        return this.toRoom(room, { ...event, room });
      }
      case 'message':
      case 'action': {
        const room = this.spelling(event.room);
        this.sendHeld(room);
        return this.toRoom(room, { ...event, room });
      }
      case 'private': {
        const target = this.get(event.to);
        if (target === undefined) return;
        for (const room of target.rooms) this.sendHeld(room);
        return this.deliver(target, target.renderer.render(event));
      }
      default:
        return;
    }
  }

  /**
   * Forgets every user of a node that died or left: their neighbours here get one leave each,
   * with `reason` (IRC shows it as the QUIT reason). Returns how many users it had.
   */
  dropNode(node: string, reason: string): number {
    const users = this.remote.ofNode(node);
    for (const u of users) this.remoteOffline(u.name, true, reason, this.stamp());
    return users.length;
  }

  /** This node's members sharing one of `rooms` (announcing rooms only), once each, held notices first. */
  private neighboursOf(rooms: Iterable<string>): Set<M> {
    const found = new Set<M>();
    for (const spelt of rooms) {
      const room = this.spelling(spelt);
      this.sendHeld(room);
      const set = this.rooms.get(room);
      if (set !== undefined && this.announced(this.roomSize(room))) for (const m of set) found.add(m);
    }
    return found;
  }

  /** Members of a room on every node. */
  private roomSize(room: string): number {
    return (this.rooms.get(room)?.size ?? 0) + this.remote.members(room).size;
  }
}

const EMPTY: ReadonlySet<never> = new Set();

function onHeldTimer(hub: Hub<Member>): void {
  hub.flushNotices();
}
