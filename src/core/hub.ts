import type { ChatEvent, Renderer } from './events.js';
import type { Outbox } from './outbox.js';
import { DEFAULTS } from './limits.js';
import { NoticeBatch } from './notice-batch.js';

/**
 * A logged-in user as the hub sees them. Implemented by each protocol's session. The hub never sees a
 * socket: it renders events with `renderer` and pushes the bytes into `outbox`.
 */
export interface Member {
  readonly name: string;
  readonly renderer: Renderer;
  readonly outbox: Outbox;
  /** Hub-owned: the room the member is in. Only the hub writes it. */
  room: string;
}

export interface HubOptions {
  /** The room everyone starts in. */
  defaultRoom: string;
  /** Most rooms that may exist at once. */
  maxRooms: number;
  /** Join/leave notices are sent only in rooms with at most this many members (0 = always). */
  announceLimit: number;
  /** Join/leave notices are collected for this long (ms) and sent as one chunk; 0 = at once. */
  noticeDelayMs: number;
}

export type MoveResult = 'moved' | 'same-room' | 'too-many-rooms';

/**
 * Presence, rooms and routing. Pure and synchronous.
 *
 * Contract:
 * - No method awaits or blocks; fan-out only calls Outbox.push, which never blocks. So one slow
 *   recipient can never delay the sender or anyone else.
 * - A broadcast is rendered once per renderer (protocol) and the same Buffer goes to every recipient.
 * - Name lookups are O(1) (Map); a room broadcast is O(members of the room).
 * - Join/leave notices may be held for noticeDelayMs (one unref'd timer for all rooms), but every
 *   member still sees events in the order they happened: a message to a room, a private message to
 *   a member and a member's move first send the held notices of the room concerned.
 */
export class Hub {
  private readonly users = new Map<string, Member>();
  private readonly rooms = new Map<string, Set<Member>>();
  /** Held join/leave notices per room (noticeDelayMs > 0). */
  private readonly held = new Map<string, NoticeBatch>();
  private heldTimer: NodeJS.Timeout | undefined;

  /** Counters for stats and metrics. */
  deliveries = 0;

  readonly defaultRoom: string;
  private readonly maxRooms: number;
  private readonly announceLimit: number;
  private readonly noticeDelayMs: number;

  constructor(opts: Partial<HubOptions> = {}) {
    this.defaultRoom = opts.defaultRoom ?? DEFAULTS.defaultRoom;
    this.maxRooms = opts.maxRooms ?? DEFAULTS.maxRooms;
    this.announceLimit = opts.announceLimit ?? DEFAULTS.announceLimit;
    this.noticeDelayMs = opts.noticeDelayMs ?? DEFAULTS.noticeDelayMs;
  }

  get size(): number {
    return this.users.size;
  }

  get(name: string): Member | undefined {
    return this.users.get(name);
  }

  /** Adds a member to presence and the default room, announcing the join. False if the name is taken. */
  add(member: Member): boolean {
    if (this.users.has(member.name)) return false;
    this.users.set(member.name, member);
    member.room = this.defaultRoom;
    this.enter(member, this.defaultRoom);
    this.announce(this.defaultRoom, { kind: 'joined', user: member.name, room: this.defaultRoom, how: 'login' }, member);
    return true;
  }

  /** Removes a member (any reason), announcing the leave to their room unless told not to. Idempotent. */
  remove(member: Member, announce = true): void {
    if (this.users.get(member.name) !== member) return;
    this.users.delete(member.name);
    const room = member.room;
    this.exit(member, room);
    if (announce) this.announce(room, { kind: 'left', user: member.name, room, how: 'logout' }, member);
  }

  /** `from` says `text` to the rest of their room. */
  say(from: Member, text: string): void {
    this.sendHeld(from.room);
    this.toRoom(from.room, { kind: 'message', from: from.name, room: from.room, text }, from);
  }

  /** `/me`: an action, to the rest of the room. */
  act(from: Member, text: string): void {
    this.sendHeld(from.room);
    this.toRoom(from.room, { kind: 'action', from: from.name, room: from.room, text }, from);
  }

  /** A private message. False when the target is not online. */
  whisper(from: Member, to: string, text: string): boolean {
    const target = this.users.get(to);
    if (!target) return false;
    // Held notices the target has not seen come first, so no one sees events out of order.
    this.sendHeld(target.room);
    this.deliver(target, target.renderer.render({ kind: 'private', from: from.name, to, text }));
    return true;
  }

  /** Moves a member to another room (created on first use), announcing it in both rooms. */
  move(member: Member, room: string): MoveResult {
    if (member.room === room) return 'same-room';
    if (!this.rooms.has(room) && this.rooms.size >= this.maxRooms) return 'too-many-rooms';
    const old = member.room;
    // The mover gets the old room's held notices while still a member.
    this.sendHeld(old);
    this.exit(member, old);
    this.announce(old, { kind: 'left', user: member.name, room: old, how: 'move' }, member);
    member.room = room;
    this.enter(member, room);
    this.announce(room, { kind: 'joined', user: member.name, room, how: 'move' }, member);
    return 'moved';
  }

  /** One notice to one member. */
  notice(member: Member, text: string): void {
    this.deliver(member, member.renderer.render({ kind: 'notice', text }));
  }

  /** Everyone online with their room, sorted by name. */
  who(): Array<{ name: string; room: string }> {
    return [...this.users.values()].map((m) => ({ name: m.name, room: m.room })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Rooms with their member counts, sorted by name. */
  roomList(): Array<{ room: string; count: number }> {
    return [...this.rooms.entries()].map(([room, set]) => ({ room, count: set.size })).sort((a, b) => (a.room < b.room ? -1 : 1));
  }

  members(): IterableIterator<Member> {
    return this.users.values();
  }

  /** Sends an event to everyone in `room` except `except`. Rendered once per renderer. */
  toRoom(room: string, event: ChatEvent, except?: Member): void {
    const set = this.rooms.get(room);
    if (!set) return;
    let renderer: Renderer | undefined;
    let bytes: Buffer | undefined;
    let cache: Map<Renderer, Buffer> | undefined;
    for (const m of set) {
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
   * Join/leave notices. In a room of thousands they would cost O(members) per login, O(N^2) for a
   * crowd arriving, and drown the chat, so big rooms are quiet (as large IRC/Twitch channels are).
   */
  private announce(room: string, event: ChatEvent, except: Member): void {
    const size = this.rooms.get(room)?.size ?? 0;
    if (this.announceLimit !== 0 && size > this.announceLimit) return;
    if (this.noticeDelayMs === 0) return this.toRoom(room, event, except);
    let batch = this.held.get(room);
    if (batch === undefined) this.held.set(room, (batch = new NoticeBatch()));
    batch.add(event);
    // A joiner is in the room already; from here on they see the notices that follow their own.
    if (event.kind === 'joined') batch.entered(except);
    if (this.heldTimer === undefined) {
      this.heldTimer = setTimeout(onHeldTimer, this.noticeDelayMs, this);
      this.heldTimer.unref();
    }
  }

  /** Sends every held join/leave notice now (the timer, and shutdown). */
  flushNotices(): void {
    if (this.heldTimer !== undefined) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    for (const room of [...this.held.keys()]) this.sendHeld(room);
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
  private deliver(m: Member, bytes: Buffer, notices = 1): void {
    if (m.outbox.push(bytes)) this.deliveries += notices;
  }

  private enter(m: Member, room: string): void {
    let set = this.rooms.get(room);
    if (!set) this.rooms.set(room, (set = new Set()));
    set.add(m);
  }

  private exit(m: Member, room: string): void {
    const set = this.rooms.get(room);
    if (!set) return;
    set.delete(m);
    if (set.size === 0) this.rooms.delete(room);
  }
}

function onHeldTimer(hub: Hub): void {
  hub.flushNotices();
}
