import type { ClusterNodeRow } from './cluster-view.js';
import type { CloseCode } from './close-reasons.js';
import type { JoinResult, MoveResult, Topic } from './hub.js';
import { DEFAULTS } from './limits.js';
import type { ChatMember } from './member.js';
import { nameKey, nameProblem } from './names.js';
import { cleanText } from './sanitize.js';
import { remember, replay } from './history.js';

/**
 * What a user can do once logged in, for every protocol: a `/join` typed in the text protocol, an
 * IRC `JOIN` and a WebSocket `join` message all call `join` here. Protocol sessions are parsers onto
 * these functions and renderers of their results; the meaning (validation, sanitising, counting,
 * logging, the hub call) lives here once.
 *
 * Contract:
 * - User text is sanitised here (cleanText: terminal controls, bidi overrides and invisible
 *   characters stripped, then trimmed, then cut without splitting a character), for every
 *   protocol, before it reaches the hub, a log line or a stored event.
 * - Synchronous, never throws for bad input: every outcome is a value the protocol renders.
 * - Results name what happened, not how to say it (no user-facing text in this file except what
 *   the member itself sends: the kick farewell).
 */

export type SayResult = 'sent' | 'empty' | 'not-in-room';
export type WhisperResult = 'sent' | 'empty' | 'offline';
export type RoomResult<R> = R | 'invalid-name';

/** A room name as users may type it (`dev` or `#dev`), or null when it breaks the name rule. */
export function roomName(raw: string): string | null {
  const room = raw.startsWith('#') ? raw.slice(1) : raw;
  return nameProblem(room, DEFAULTS.roomMaxLength) === null ? room : null;
}

/** Says `raw` to the rest of `room`. */
export function say(m: ChatMember, room: string, raw: string): SayResult {
  return toRoom(m, room, raw, 'message');
}

/** `/me`: an action in `room`. */
export function act(m: ChatMember, room: string, raw: string): SayResult {
  return toRoom(m, room, raw, 'action');
}

/** A message or an action: sanitised, sent, remembered, counted, logged. */
function toRoom(m: ChatMember, room: string, raw: string, kind: 'message' | 'action'): SayResult {
  const text = cleanText(raw);
  if (text === '') return 'empty';
  const event = kind === 'message' ? m.ctx.hub.say(m, room, text) : m.ctx.hub.act(m, room, text);
  if (event === undefined) return 'not-in-room';
  remember(m, event);
  counted(m);
  if (kind === 'message') m.ctx.log.message('MESSAGE', `${m.name}: ${text}`, { user: m.name, room });
  else m.ctx.log.message('ACTION', `${m.name} ${text}`, { user: m.name, room });
  return 'sent';
}

/** A private message to `to` (online on any protocol). */
export function whisper(m: ChatMember, to: string, raw: string): WhisperResult {
  const text = cleanText(raw);
  if (text === '' || to === '') return 'empty';
  counted(m);
  const event = m.ctx.hub.whisper(m, to, text);
  if (event?.kind !== 'private') return 'offline';
  m.ctx.log.message('PRIVATE', `${m.name} -> ${event.to}`, { user: m.name, to: event.to });
  return 'sent';
}

/** Enters a room, staying in the others (IRC, WebSocket). */
export function join(m: ChatMember, rawRoom: string): RoomResult<JoinResult> {
  return enter(m, rawRoom, (room) => m.ctx.hub.join(m, room), 'joined');
}

/** The text protocol's /join: leaves every room for `room`. */
export function move(m: ChatMember, rawRoom: string): RoomResult<MoveResult> {
  return enter(m, rawRoom, (room) => m.ctx.hub.move(m, room), 'moved');
}

/** Checks the name, enters by `go`, and replays the room's last lines once `entered`. */
function enter<R extends string>(m: ChatMember, rawRoom: string, go: (room: string) => R, entered: R): RoomResult<R> {
  const room = roomName(rawRoom);
  if (room === null) return 'invalid-name';
  const result = go(room);
  if (result === entered) replayOnJoin(m, room);
  return result;
}

/** --replay-on-join: the room's last lines after the confirmation of a join (a later turn). */
function replayOnJoin(m: ChatMember, room: string): void {
  if (m.ctx.replayOnJoin > 0) void replay(m, room, m.ctx.replayOnJoin).catch((err: unknown) => m.ctx.log.error('STORE', String(err)));
}

export function part(m: ChatMember, rawRoom: string): RoomResult<'parted' | 'not-in-room'> {
  const room = roomName(rawRoom);
  if (room === null) return 'invalid-name';
  return m.ctx.hub.part(m, room) ? 'parted' : 'not-in-room';
}

/** Sets a room's topic ('' clears it); cut to DEFAULTS.topicMaxLength characters. */
export function setTopic(m: ChatMember, room: string, raw: string): 'set' | 'not-in-room' {
  const text = cleanText(raw, DEFAULTS.topicMaxLength);
  const event = m.ctx.hub.setTopic(m, room, text);
  if (event === undefined) return 'not-in-room';
  remember(m, event);
  m.ctx.log.event('TOPIC', `${m.name} set the topic of ${room}`, { user: m.name, room });
  return 'set';
}

/**
 * Sets (`raw` not empty) or clears the user's away status, cut to DEFAULTS.topicMaxLength
 * characters, and tells their neighbours once each (IRC's away-notify; the text protocol shows nothing).
 */
export function setAway(m: ChatMember, raw: string): 'away' | 'back' {
  const text = cleanText(raw, DEFAULTS.topicMaxLength);
  const was = m.away;
  m.away = text === '' ? undefined : text;
  if (m.away !== was) m.ctx.hub.away(m, text);
  return m.away === undefined ? 'back' : 'away';
}

export function topic(m: ChatMember, room: string): Topic | undefined {
  return m.ctx.hub.topic(room);
}

/** Disconnects another user, on whatever protocol and node they are. Admins only. */
export function kick(m: ChatMember, target: string): 'kicked' | 'not-admin' | 'self' | 'offline' | 'unreachable' {
  if (!m.admin) return 'not-admin';
  if (nameKey(target) === nameKey(m.name)) return 'self';
  const victim = m.ctx.hub.get(target);
  if (victim === undefined) {
    const elsewhere = m.ctx.hub.remote.get(target);
    if (elsewhere === undefined || m.ctx.cluster === undefined) return 'offline';
    if (!m.ctx.cluster.kick(elsewhere, m.name)) return 'unreachable';
    m.ctx.log.event('KICK', `${elsewhere.name} by ${m.name} (on node ${elsewhere.node})`, { user: elsewhere.name, by: m.name });
    return 'kicked';
  }
  m.ctx.log.event('KICK', `${victim.name} by ${m.name}`, { user: victim.name, by: m.name });
  victim.quit('KICKED', `You were kicked by ${m.name}.`);
  return 'kicked';
}

/**
 * `/slow`: the artificial delay before each message to this user. 'off' restores the configured
 * delay. Takes effect at once (the outbox measures it from the last send). Undefined: out of range.
 */
export function slow(m: ChatMember, ms: number | 'off'): number | undefined {
  const { slow: perUser, sendDelayMs } = m.ctx.settings;
  const value = ms === 'off' ? (perUser.get(m.name) ?? sendDelayMs) : ms;
  if (!Number.isInteger(value) || value < 0 || value > DEFAULTS.maxSendDelayMs) return undefined;
  m.outbox.delayMs = value;
  m.ctx.log.event('SLOW', `${m.name} set a send delay of ${value} ms`, { user: m.name, ms: value });
  return value;
}

/**
 * Ends the session at the user's request. `reason`: their parting words (sanitised, cut to
 * DEFAULTS.quitReasonMaxLength characters), shown to their neighbours where a protocol has a place
 * for them (IRC's QUIT); `farewell`: the closing line the user gets.
 */
export function quit(m: ChatMember, code: CloseCode = 'CLIENT_EXIT', reason = '', farewell?: string): void {
  const words = cleanText(reason, DEFAULTS.quitReasonMaxLength);
  m.quit(code, farewell, words === '' ? undefined : words);
}

/** One page of a long list: `items` of `total`, page `page` (1-based) of `pages`. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

/** Page `page` (1-based, clamped) of `all`, `size` items per page. */
export function pageOf<T>(all: readonly T[], page: number, size: number = DEFAULTS.listPageSize): Page<T> {
  const pages = Math.max(1, Math.ceil(all.length / size));
  const p = Math.min(Math.max(1, Math.floor(page)), pages);
  return { items: all.slice((p - 1) * size, p * size), total: all.length, page: p, pages };
}

/** Who is online (all protocols), with their rooms, by name. */
export function who(m: ChatMember, page = 1): Page<{ name: string; rooms: string[] }> {
  return pageOf(m.ctx.hub.who(), page);
}

/** Rooms with member counts, by name. */
export function rooms(m: ChatMember, page = 1): Page<{ room: string; count: number }> {
  return pageOf(m.ctx.hub.roomList(), page);
}

/** The user's own flow state (/stats). */
export interface OwnStats {
  readonly depth: number;
  readonly bytes: number;
  readonly queueSize: number;
  readonly queueBytes: number;
  readonly window: number;
  readonly cc: string;
  readonly inFlight: number;
  readonly delayMs: number;
  readonly linkRate: number;
  readonly messagesIn: number;
  readonly written: number;
  readonly dropped: number;
  readonly flood: { readonly delayed: number; readonly refused: number } | undefined;
}

export function ownStats(m: ChatMember): OwnStats {
  const o = m.outbox;
  const { queueSize, queueBytes, cc } = m.ctx.settings;
  return {
    depth: o.depth,
    bytes: o.bytes,
    queueSize,
    queueBytes,
    window: o.window,
    cc,
    inFlight: o.inFlight,
    delayMs: o.delayMs,
    linkRate: m.linkRate,
    messagesIn: m.messagesIn,
    written: o.written,
    dropped: o.dropped,
    flood: m.flood ? { delayed: m.flood.delayed, refused: m.flood.refused } : undefined,
  };
}

/** Server totals and one row per member, fullest queues first (/stats all). Admins only. */
export interface ServerStats {
  readonly connections: number;
  readonly online: number;
  readonly messagesIn: number;
  readonly written: number;
  readonly drops: number;
  readonly rssBytes: number;
  readonly heapBytes: number;
  readonly uptimeS: number;
  /** The store: 'memory' or 'sqlite', entries written, writes that failed. */
  readonly store: { readonly kind: string; readonly writes: number; readonly errors: number };
  /** Every node of the cluster (this one first); undefined on a single server. */
  readonly cluster: readonly ClusterNodeRow[] | undefined;
  readonly rows: Page<MemberRow>;
}

export interface MemberRow {
  readonly name: string;
  readonly rooms: string[];
  readonly depth: number;
  readonly bytes: number;
  readonly window: number;
  readonly delayMs: number;
  readonly messagesIn: number;
  readonly written: number;
  readonly dropped: number;
}

export function serverStats(m: ChatMember, page = 1): ServerStats | 'not-admin' {
  if (!m.admin) return 'not-admin';
  const { hub, counters, clock, startedAt } = m.ctx;
  const mem = process.memoryUsage();
  const members = [...hub.members()].sort((a, b) => b.outbox.depth - a.outbox.depth || (a.name < b.name ? -1 : 1));
  const rows = pageOf(members, page, DEFAULTS.statsPageSize);
  return {
    connections: counters.connections,
    online: hub.size,
    messagesIn: counters.messagesIn,
    written: counters.written,
    drops: counters.drops,
    rssBytes: mem.rss,
    heapBytes: mem.heapUsed,
    uptimeS: Math.round((clock() - startedAt) / 1000),
    store: { kind: m.ctx.store.kind, writes: m.ctx.store.stats.writes, errors: m.ctx.store.stats.errors },
    cluster: m.ctx.cluster?.nodes(),
    rows: {
      ...rows,
      items: rows.items.map((x) => ({
        name: x.name,
        rooms: [...x.rooms],
        depth: x.outbox.depth,
        bytes: x.outbox.bytes,
        window: x.outbox.window,
        delayMs: x.outbox.delayMs,
        messagesIn: x.messagesIn,
        written: x.outbox.written,
        dropped: x.outbox.dropped,
      })),
    },
  };
}

function counted(m: ChatMember): void {
  m.messagesIn++;
  m.ctx.counters.messagesIn++;
}
