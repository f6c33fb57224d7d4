import type { ChatEvent, Stamp } from '../core/events.js';
import type { ClusterNodeRow } from '../core/cluster-view.js';

/**
 * What nodes say to each other over the bus: one JSON object per bus message, with the sending
 * node's id (`n`) and its bus sequence number (`s`, one counter per node over all channels, so
 * every channel sees increasing numbers from each node: duplicates and replays are dropped).
 * docs/ARCHITECTURE.md ("Cluster") lists them. Everything read from the bus is checked here:
 * a message that does not parse is counted and ignored, never trusted.
 */

/** A user as a node's state snapshot lists them. */
export interface UserState {
  readonly name: string;
  readonly since: number;
  readonly away?: string;
  readonly rooms: readonly string[];
}

export interface TopicState {
  readonly room: string;
  readonly text: string;
  readonly by: string;
  readonly at: number;
}

/** A node's counters, renewed with every heartbeat (/stats all, cluster status): a row without what only the receiver knows. */
export type NodeStats = Omit<ClusterNodeRow, 'node' | 'self' | 'silentS'> & { readonly pid: number; readonly startedAt: number };

export type BusBody =
  /** Control: a node (re)joined; its whole state, and a request for everyone else's. */
  | { readonly t: 'hello'; readonly users: readonly UserState[]; readonly topics: readonly TopicState[]; readonly stats: NodeStats }
  /** To one node: the answer to a hello. */
  | { readonly t: 'state'; readonly users: readonly UserState[]; readonly topics: readonly TopicState[]; readonly stats: NodeStats }
  /** Control: a user of the sender logged in (before their login join). */
  | { readonly t: 'on'; readonly name: string; readonly since: number; readonly away?: string }
  /** Control: a user of the sender left the chat. */
  | { readonly t: 'off'; readonly name: string; readonly announce: boolean; readonly reason?: string; readonly stamp: Stamp }
  /** Control (joined, left, away, topic), room (message, action) or node (private): a hub event. */
  | { readonly t: 'ev'; readonly ev: ChatEvent }
  /** To one node: disconnect one of its users (an admin's /kick). */
  | { readonly t: 'kick'; readonly name: string; readonly by: string }
  /** Control: the heartbeat, every --node-timeout/3. */
  | { readonly t: 'beat'; readonly stats: NodeStats }
  /** Control: a failed login, so every node's throttle counts it. */
  | { readonly t: 'fail'; readonly ip: string }
  /** Control: `node` stopped renewing and its users are gone. */
  | { readonly t: 'dead'; readonly node: string }
  /** Control: the sender is shutting down cleanly. */
  | { readonly t: 'bye' };

export type BusMessage = BusBody & { readonly n: string; readonly s: number };

const MAX_TEXT = 64 * 1024;

function isStr(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === 'string' && v.length <= max;
}
function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function optStr(v: unknown): boolean {
  return v === undefined || isStr(v);
}

function isStamp(v: unknown): v is Stamp {
  return isObj(v) && isNum(v.id) && isNum(v.at) && isStr(v.origin, 200);
}

/** The hub events that may cross the bus (the ones a node's users cause), checked field by field. */
function isEvent(v: unknown): v is ChatEvent {
  if (!isObj(v) || !isStamp(v.stamp)) return false;
  switch (v.kind) {
    case 'message':
    case 'action':
      return isStr(v.from) && isStr(v.room) && isStr(v.text);
    case 'private':
      return isStr(v.from) && isStr(v.to) && isStr(v.text);
    case 'joined':
      return isStr(v.user) && isStr(v.room) && (v.how === 'login' || v.how === 'join');
    case 'left':
      return isStr(v.user) && isStr(v.room) && (v.how === 'logout' || v.how === 'part') && optStr(v.reason);
    case 'away':
      return isStr(v.user) && isStr(v.text);
    case 'topic':
      return isStr(v.by) && isStr(v.room) && isStr(v.text);
    default:
      return false;
  }
}

function isUsers(v: unknown): v is UserState[] {
  return Array.isArray(v) && v.every((u) => isObj(u) && isStr(u.name) && isNum(u.since) && optStr(u.away) && Array.isArray(u.rooms) && u.rooms.every((r) => isStr(r)));
}

function isTopics(v: unknown): v is TopicState[] {
  return Array.isArray(v) && v.every((t) => isObj(t) && isStr(t.room) && isStr(t.text) && isStr(t.by) && isNum(t.at));
}

function isStats(v: unknown): v is NodeStats {
  return isObj(v) && isStr(v.name, 200) && ['users', 'connections', 'messagesIn', 'written', 'drops', 'busDrops', 'pid', 'startedAt'].every((k) => isNum(v[k]));
}

function isBody(v: Record<string, unknown>): boolean {
  switch (v.t) {
    case 'hello':
    case 'state':
      return isUsers(v.users) && isTopics(v.topics) && isStats(v.stats);
    case 'on':
      return isStr(v.name) && isNum(v.since) && optStr(v.away);
    case 'off':
      return isStr(v.name) && typeof v.announce === 'boolean' && optStr(v.reason) && isStamp(v.stamp);
    case 'ev':
      return isEvent(v.ev);
    case 'kick':
      return isStr(v.name) && isStr(v.by);
    case 'beat':
      return isStats(v.stats);
    case 'fail':
      return isStr(v.ip, 100);
    case 'dead':
      return isStr(v.node, 200);
    case 'bye':
      return true;
    default:
      return false;
  }
}

/** Parses one bus payload; undefined for anything that is not a well-formed message. */
export function parseBusMessage(payload: string): BusMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObj(v) || !isStr(v.n, 200) || !isNum(v.s) || !isBody(v)) return undefined;
  return v as unknown as BusMessage;
}
