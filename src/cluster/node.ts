import { randomBytes } from 'node:crypto';
import type { ChatEvent, Stamp } from '../core/events.js';
import type { Hub, HubLink } from '../core/hub.js';
import type { ChatMember } from '../core/member.js';
import type { Logger } from '../core/log.js';
import type { Counters } from '../core/counters.js';
import type { AuthThrottle } from '../core/throttle.js';
import type { NameClaims } from '../core/name-claims.js';
import type { Person } from '../core/remote.js';
import { ClusterStats, type ClusterView } from '../core/cluster-view.js';
import { nameKey } from '../core/names.js';
import { DEFAULTS } from '../core/limits.js';
import { monotonicMs, wallMs } from '../core/clock.js';
import { CHANNELS, type BackendListener, type ClusterBackend } from './backend.js';
import { parseBusMessage, type BusBody, type BusMessage, type NodeStats, type TopicState, type UserState } from './messages.js';

/**
 * One chat server as a node of a cluster: it mirrors its hub's changes onto the bus, applies the
 * other nodes' changes to its hub, holds its users' names in the backend, renews its lease and
 * declares silent peers dead.
 *
 * Contract:
 * - The hub never waits on the bus: HubLink methods publish and return (a publish the backend
 *   refuses is counted in `stats.busDrops`, never retried, never claimed as delivered).
 * - A message is applied at most once: `(sender, channel)` sequence numbers only go up, so a
 *   duplicate or replay is dropped (counted in `stats.duplicates`); our own messages are ignored.
 * - Messages of one sender on one channel are applied in the order sent (the backend's contract).
 * - A peer not heard from for `nodeTimeoutMs` is declared dead, but only while this node has itself
 *   been connected for at least that long (during a Redis outage nobody can tell who is alive).
 * - A node told it was declared dead (renew answers 'dead', or a `dead` message names it) closes
 *   every local session with NODE_EXPELLED and comes back under a new id: two owners of a name
 *   never coexist.
 * - After a lapse (Redis restarted empty, or a renewal too late), the node claims its users' names
 *   again; a user whose name another node now holds is closed with NAME_TAKEN.
 * - Name claims: local first (two logins here never race), then the backend; a claim the backend
 *   cannot answer rejects with BackendError and the login is refused as 'unavailable'.
 */

export interface ClusterOptions {
  /** Shown in /stats all and cluster status (default: host name and port). */
  readonly nodeName: string;
  /** A node silent for this long is dead; leases live this long; renewals every third of it. */
  readonly nodeTimeoutMs: number;
}

export interface ClusterParts {
  readonly hub: Hub<ChatMember>;
  readonly log: Logger;
  readonly counters: Counters;
  readonly throttle: AuthThrottle;
}

interface Peer {
  lastHeard: number;
  stats: NodeStats | undefined;
}

/** What /stats all shows of each node. */
export interface NodeRow extends NodeStats {
  readonly node: string;
  readonly self: boolean;
  /** Seconds since this node last heard from it (0 for itself). */
  readonly silentS: number;
}

export class ClusterNode implements HubLink, NameClaims, BackendListener, ClusterView {
  /** This incarnation's id: the node name and a random suffix (a new one after being expelled). */
  id: string;
  readonly stats = new ClusterStats();
  private parts: ClusterParts | undefined;
  private seq = 0;
  private readonly lastSeq = new Map<string, number>();
  private readonly peers = new Map<string, Peer>();
  /** Nodes declared dead (their late messages are ignored), with when, to forget them after a day. */
  private readonly dead = new Map<string, number>();
  /** nameKey -> the local session holding it. */
  private readonly owners = new Map<string, object>();
  /** Names whose release the backend could not take (down): released when it is back. */
  private readonly pendingRelease = new Set<string>();
  private upSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly startedAt = wallMs();

  constructor(
    readonly backend: ClusterBackend,
    readonly opts: ClusterOptions,
  ) {
    this.id = newId(opts.nodeName);
  }

  get up(): boolean {
    return this.backend.up;
  }

  /** Joins the cluster: listens, takes the lease, subscribes, says hello. Called before anyone logs in (rooms are subscribed as they open). Rejects if the backend is unreachable. */
  async start(parts: ClusterParts): Promise<void> {
    this.parts = parts;
    parts.hub.link = this;
    parts.throttle.shared = (ip) => this.send(CHANNELS.control, { t: 'fail', ip });
    this.backend.listen(this);
    await this.backend.renew(this.id, this.leaseInfo(), this.opts.nodeTimeoutMs, true);
    this.backend.subscribe(CHANNELS.control);
    this.backend.subscribe(CHANNELS.node(this.id));
    this.upSince = monotonicMs();
    this.send(CHANNELS.control, { t: 'hello', ...this.snapshot() });
    this.timer = setInterval(onTick, Math.max(100, Math.floor(this.opts.nodeTimeoutMs / 3)), this);
    this.timer.unref();
  }

  /** Leaves cleanly (shutdown): peers drop our users at once, our lease and names are freed. */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.send(CHANNELS.control, { t: 'bye' });
    await this.backend.leave(this.id).catch(() => undefined);
    await this.backend.close();
  }

  /** Every node this one knows of, itself first (/stats all). */
  nodes(): NodeRow[] {
    const now = monotonicMs();
    const rows: NodeRow[] = [{ ...this.ownStats(), node: this.id, self: true, silentS: 0 }];
    for (const [node, peer] of this.peers) if (peer.stats !== undefined) rows.push({ ...peer.stats, node, self: false, silentS: Math.round((now - peer.lastHeard) / 1000) });
    return rows;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** Disconnects a user of another node (an admin's /kick). False when the bus is down. */
  kick(user: Person, by: string): boolean {
    if (user.node === undefined) return false;
    return this.send(CHANNELS.node(user.node), { t: 'kick', name: user.name, by });
  }

  // ---- NameClaims ----

  async claim(name: string, owner: object): Promise<boolean> {
    const key = nameKey(name);
    if (this.owners.has(key)) return false;
    this.owners.set(key, owner);
    // `release` may run while the backend answers: then the claim is no longer this owner's.
    const mine = (): boolean => this.owners.get(key) === owner;
    let held = false;
    try {
      held = await this.backend.claim(key, this.id);
    } finally {
      if (!held && mine()) this.owners.delete(key);
    }
    if (held && mine()) this.pendingRelease.delete(key);
    return held && mine();
  }

  release(name: string, owner: object): void {
    const key = nameKey(name);
    if (this.owners.get(key) !== owner) return;
    this.owners.delete(key);
    this.backend.release(key, this.id).catch(() => this.pendingRelease.add(key));
  }

  // ---- HubLink: this node's changes, out to the others ----

  online(member: Person): void {
    this.send(CHANNELS.control, { t: 'on', name: member.name, since: member.signedOnAt ?? wallMs(), away: member.away });
  }

  offline(name: string, announce: boolean, reason: string | undefined): void {
    this.send(CHANNELS.control, { t: 'off', name, announce, reason, stamp: { id: 0, at: wallMs(), origin: this.id } });
  }

  event(ev: ChatEvent): void {
    const room = ev.kind === 'message' || ev.kind === 'action';
    this.send(room ? CHANNELS.room(nameKey(ev.room)) : CHANNELS.control, { t: 'ev', ev });
  }

  privateTo(node: string, ev: ChatEvent): boolean {
    return this.send(CHANNELS.node(node), { t: 'ev', ev });
  }

  roomOpened(room: string): void {
    this.backend.subscribe(CHANNELS.room(nameKey(room)));
  }

  roomClosed(room: string): void {
    this.backend.unsubscribe(CHANNELS.room(nameKey(room)));
  }

  // ---- BackendListener: the others' changes, in ----

  onState(up: boolean, reason?: string): void {
    const log = this.parts?.log;
    if (!up) {
      this.upSince = undefined;
      log?.error('CLUSTER', `lost the bus (${this.backend.kind}): ${reason ?? 'disconnected'}; serving this node's users only until it is back`);
      return;
    }
    if (this.closing) return;
    this.upSince = monotonicMs();
    log?.event('CLUSTER', `bus (${this.backend.kind}) connected again; re-publishing this node's presence`);
    // Peers heard before the gap are given a fresh chance: their silence was ours.
    for (const peer of this.peers.values()) peer.lastHeard = this.upSince;
    void this.renew();
    this.send(CHANNELS.control, { t: 'hello', ...this.snapshot() });
  }

  onMessage(channel: string, payload: string): void {
    const msg = parseBusMessage(payload);
    if (msg === undefined) {
      this.stats.malformed++;
      return;
    }
    if (msg.n === this.id || this.dead.has(msg.n) || this.parts === undefined) return;
    const key = `${msg.n}\n${channel}`;
    const last = this.lastSeq.get(key);
    if (last !== undefined && msg.s <= last) {
      this.stats.duplicates++;
      return;
    }
    this.lastSeq.set(key, msg.s);
    this.stats.received++;
    const snapshot = msg.t === 'hello' || msg.t === 'state';
    const stranger = !this.peers.has(msg.n);
    this.heard(msg.n, msg.t === 'beat' || snapshot ? msg.stats : undefined);
    // A peer first heard of by anything but its snapshot: its answer to our hello was missed (a
    // subscription takes a round trip to be in place), so say hello again and it answers again.
    if (stranger && !snapshot && msg.t !== 'bye') this.send(CHANNELS.control, { t: 'hello', ...this.snapshot() });
    this.apply(msg, this.parts);
  }

  private apply(msg: BusMessage, parts: ClusterParts): void {
    const { hub } = parts;
    switch (msg.t) {
      case 'hello':
        this.applyState(msg.n, msg.users, msg.topics);
        this.send(CHANNELS.node(msg.n), { t: 'state', ...this.snapshot() });
        return;
      case 'state':
        return this.applyState(msg.n, msg.users, msg.topics);
      case 'on':
        if (hub.get(msg.name) === undefined && this.roomForRemote(msg.name)) hub.remoteOnline(msg.n, msg.name, msg.since, msg.away);
        return;
      case 'off':
        if (hub.remote.get(msg.name)?.node === msg.n) hub.remoteOffline(msg.name, msg.announce, msg.reason, msg.stamp);
        return;
      case 'ev':
        if (msg.ev.kind === 'message' || msg.ev.kind === 'action' || msg.ev.kind === 'private') this.stats.lag.observe(Math.max(0, wallMs() - msg.ev.stamp.at));
        return hub.remoteEvent(msg.ev);
      case 'kick': {
        const victim = hub.get(msg.name);
        if (victim === undefined) return;
        parts.log.event('KICK', `${victim.name} by ${msg.by} (from node ${msg.n})`, { user: victim.name, by: msg.by });
        return victim.quit('KICKED', `You were kicked by ${msg.by}.`);
      }
      case 'beat':
        return;
      case 'fail':
        parts.throttle.failedElsewhere(msg.ip);
        return;
      case 'dead':
        if (msg.node === this.id) return this.expelled();
        return this.forget(msg.node, `node ${msg.node} lost`);
      case 'bye':
        return this.forget(msg.n, undefined, false);
    }
  }

  /** Replaces what we know of `node`'s users by its snapshot, announcing the differences here. */
  private applyState(node: string, users: readonly UserState[], topics: readonly TopicState[]): void {
    const hub = this.parts!.hub;
    const now = hub.now();
    const stamp = (): Stamp => ({ id: 0, at: now, origin: node });
    const listed = new Set(users.map((u) => nameKey(u.name)));
    for (const u of hub.remote.ofNode(node)) if (!listed.has(nameKey(u.name))) hub.remoteOffline(u.name, true, undefined, stamp());
    for (const u of users) {
      if (hub.get(u.name) !== undefined || !this.roomForRemote(u.name)) continue;
      let known = hub.remote.get(u.name);
      if (known === undefined || known.node !== node) known = hub.remoteOnline(node, u.name, u.since, u.away);
      const rooms = new Set(u.rooms.map((r) => nameKey(r)));
      for (const r of [...known.rooms]) if (!rooms.has(nameKey(r))) hub.remoteEvent({ kind: 'left', stamp: stamp(), user: u.name, room: r, how: 'part' });
      for (const r of u.rooms) hub.remoteEvent({ kind: 'joined', stamp: stamp(), user: u.name, room: r, how: 'join' });
      known.away = u.away;
    }
    for (const t of topics) hub.learnTopic(t.room, t.by, t.text, t.at);
  }

  /** Whether one more remote user may be kept (DEFAULTS.clusterMaxRemoteUsers); a refusal is counted as malformed. */
  private roomForRemote(name: string): boolean {
    const hub = this.parts!.hub;
    if (hub.remote.size < DEFAULTS.clusterMaxRemoteUsers || hub.remote.get(name) !== undefined) return true;
    this.stats.malformed++;
    return false;
  }

  /** A peer is gone (dead or said bye): its users leave here, with `reason`. */
  private forget(node: string, reason: string | undefined, dead = true): void {
    this.peers.delete(node);
    if (dead) this.dead.set(node, monotonicMs());
    for (const key of [...this.lastSeq.keys()]) if (key.startsWith(`${node}\n`)) this.lastSeq.delete(key);
    const n = this.parts!.hub.dropNode(node, reason ?? '');
    if (n > 0 || dead) this.parts!.log.event('CLUSTER', `node ${node} ${dead ? 'declared dead' : 'left'}; ${n} of its users gone`, { node, users: n });
  }

  private heard(node: string, stats: NodeStats | undefined): void {
    let peer = this.peers.get(node);
    if (peer === undefined) {
      this.peers.set(node, (peer = { lastHeard: 0, stats: undefined }));
      this.parts?.log.event('CLUSTER', `node ${node} seen`, { node });
    }
    peer.lastHeard = monotonicMs();
    if (stats !== undefined) peer.stats = stats;
  }

  /** The heartbeat: renew the lease, publish our counters, declare silent peers dead. */
  tick(): void {
    if (this.closing || this.parts === undefined) return;
    void this.renew();
    this.send(CHANNELS.control, { t: 'beat', stats: this.ownStats() });
    const now = monotonicMs();
    const timeout = this.opts.nodeTimeoutMs;
    if (this.upSince === undefined || now - this.upSince < timeout) return;
    for (const [node, peer] of [...this.peers]) {
      if (now - peer.lastHeard <= timeout) continue;
      this.forget(node, `node ${node} lost`);
      this.send(CHANNELS.control, { t: 'dead', node });
      this.backend.declareDead(node).catch((err: unknown) => this.parts?.log.error('CLUSTER', `could not declare ${node} dead: ${message(err)}`));
    }
    for (const [node, at] of this.dead) if (now - at > DEAD_MEMORY_MS) this.dead.delete(node);
  }

  private async renew(): Promise<void> {
    let result;
    try {
      result = await this.backend.renew(this.id, this.leaseInfo(), this.opts.nodeTimeoutMs);
    } catch {
      return; // The backend reports the outage through onState; the next tick tries again.
    }
    if (result === 'dead') return this.expelled();
    if (result === 'lapsed') await this.reclaim();
    for (const key of [...this.pendingRelease]) {
      if (this.owners.has(key)) continue;
      await this.backend.release(key, this.id).then(
        () => this.pendingRelease.delete(key),
        () => undefined,
      );
    }
  }

  /** After a lapse: every local name is claimed again; a name someone else now holds closes its session. */
  private async reclaim(): Promise<void> {
    const { hub, log } = this.parts!;
    const members = [...hub.members()];
    // All at once: until a name is claimed again, a login elsewhere may take it (then NAME_TAKEN here).
    const held = await Promise.all(members.map((m) => this.backend.claim(nameKey(m.name), this.id).catch(() => true)));
    let taken = 0;
    members.forEach((m, i) => {
      if (held[i] || hub.get(m.name) !== m) return;
      taken++;
      m.quit('NAME_TAKEN', 'Disconnected: while this server was cut off from the cluster, your name was taken on another server.');
    });
    log.event('CLUSTER', `lease of ${this.id} had lapsed; claimed ${members.length - taken} names again${taken > 0 ? `, ${taken} taken elsewhere` : ''}`);
    this.send(CHANNELS.control, { t: 'hello', ...this.snapshot() });
  }

  /** We were declared dead: drop every session, forget everyone, come back under a new id. */
  private expelled(): void {
    const { hub, log } = this.parts!;
    const old = this.id;
    this.id = newId(this.opts.nodeName);
    log.error('CLUSTER', `this node (${old}) was declared dead by the cluster; closing ${hub.size} sessions and rejoining as ${this.id}`);
    for (const m of [...hub.members()]) m.quit('NODE_EXPELLED', 'Disconnected: this server lost touch with the rest of the chat. Please log in again.');
    for (const node of [...this.peers.keys()]) this.forget(node, undefined, false);
    this.lastSeq.clear();
    this.backend.unsubscribe(CHANNELS.node(old));
    this.backend.subscribe(CHANNELS.node(this.id));
    void this.backend.renew(this.id, this.leaseInfo(), this.opts.nodeTimeoutMs, true).catch(() => undefined);
    this.send(CHANNELS.control, { t: 'hello', ...this.snapshot() });
  }

  private snapshot(): { users: UserState[]; topics: TopicState[]; stats: NodeStats } {
    const hub = this.parts!.hub;
    const users: UserState[] = [];
    const topics: TopicState[] = [];
    for (const m of hub.members()) {
      users.push({ name: m.name, since: m.signedOnAt, away: m.away, rooms: [...m.rooms] });
    }
    for (const { room } of hub.roomList()) {
      const t = hub.topic(room);
      if (t !== undefined && hub.roomMembers(room).size > 0) topics.push({ room, text: t.text, by: t.by, at: t.at });
    }
    return { users, topics, stats: this.ownStats() };
  }

  private ownStats(): NodeStats {
    const { hub, counters } = this.parts!;
    return {
      name: this.opts.nodeName,
      users: hub.size,
      connections: counters.connections,
      messagesIn: counters.messagesIn,
      written: counters.written,
      drops: counters.drops,
      busDrops: this.stats.busDrops,
      pid: process.pid,
      startedAt: this.startedAt,
    };
  }

  private leaseInfo(): string {
    return this.parts === undefined ? JSON.stringify({ name: this.opts.nodeName, pid: process.pid }) : JSON.stringify(this.ownStats());
  }

  /** Publishes one bus message; false (and counted) when the backend refused it. */
  private send(channel: string, body: BusBody): boolean {
    const ok = this.backend.publish(channel, JSON.stringify({ ...body, n: this.id, s: ++this.seq }));
    if (ok) this.stats.published++;
    else this.stats.busDrops++;
    return ok;
  }
}

/** How long a dead node's id is remembered (its late messages ignored). */
const DEAD_MEMORY_MS = 86_400_000;

function newId(name: string): string {
  return `${name}~${randomBytes(3).toString('hex')}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function onTick(node: ClusterNode): void {
  node.tick();
}
