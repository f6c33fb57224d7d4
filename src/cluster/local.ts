import { BackendError, type BackendListener, type ClusterBackend, type NodeLease, type RenewResult } from './backend.js';

/** How long a dead mark lasts (the contract's "for a day"); RedisBackend uses the same. */
export const DEAD_MARK_MS = 24 * 60 * 60 * 1000;

export interface LocalBrokerOptions {
  /** The clock leases and dead marks expire by (ms); tests pass one they can move. */
  readonly now?: () => number;
}

/** A message or a state change on its way to one backend. */
type Delivery = { readonly to: LocalBackend; readonly channel: string; readonly payload: string } | { readonly to: LocalBackend; readonly up: boolean; readonly reason?: string };

interface Lease {
  readonly info: string;
  readonly expiresAt: number;
}

/**
 * The shared in-process engine behind LocalBackends: which backends are subscribed to each channel,
 * name claims (key -> node), node leases and dead marks. Everything is synchronous here; the
 * backends make it asynchronous. Deliveries are queued and handed out in one setImmediate batch
 * per turn, in the order they were published (so one publisher's order holds across channels).
 */
export class LocalBroker {
  readonly now: () => number;
  private readonly channels = new Map<string, Set<LocalBackend>>();
  private readonly claims = new Map<string, string>();
  /** node -> the keys it claimed (some may have been taken over since: check `claims`). */
  private readonly claimed = new Map<string, Set<string>>();
  private readonly leases = new Map<string, Lease>();
  private readonly dead = new Map<string, number>();
  private queue: Delivery[] = [];
  private scheduled = false;

  constructor(opts: LocalBrokerOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** A new node's backend on this broker. */
  connect(): LocalBackend {
    return new LocalBackend(this);
  }

  /** For tests: `backend` loses the engine (true) or gets it back (false); see LocalBackend.simulateDown. */
  setDown(backend: LocalBackend, down: boolean): void {
    backend.simulateDown(down);
  }

  /** Adds `backend` to `channel`'s subscribers (for LocalBackend). */
  attach(backend: LocalBackend, channel: string): void {
    let subs = this.channels.get(channel);
    if (subs === undefined) this.channels.set(channel, (subs = new Set()));
    subs.add(backend);
  }

  /** Removes `backend` from `channel`'s subscribers (for LocalBackend). */
  detach(backend: LocalBackend, channel: string): void {
    const subs = this.channels.get(channel);
    if (subs === undefined) return;
    subs.delete(backend);
    if (subs.size === 0) this.channels.delete(channel);
  }

  /** Queues `payload` for every backend subscribed to `channel` now; nothing at all when none is. */
  route(channel: string, payload: string): void {
    const subs = this.channels.get(channel);
    if (subs === undefined) return;
    for (const to of subs) this.queue.push({ to, channel, payload });
    this.schedule();
  }

  /** Queues a state change for `to`, behind the messages already queued. */
  tell(to: LocalBackend, up: boolean, reason?: string): void {
    this.queue.push({ to, up, reason });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const d of batch) {
      if ('channel' in d) d.to.receive(d.channel, d.payload);
      else d.to.changed(d.up, d.reason);
    }
  }

  private live(node: string): boolean {
    const lease = this.leases.get(node);
    if (lease === undefined) return false;
    if (lease.expiresAt > this.now()) return true;
    this.leases.delete(node);
    return false;
  }

  private isDead(node: string): boolean {
    const until = this.dead.get(node);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.dead.delete(node);
    return false;
  }

  claim(key: string, node: string): boolean {
    const holder = this.claims.get(key);
    if (holder !== undefined && holder !== node && this.live(holder)) return false;
    this.claims.set(key, node);
    let keys = this.claimed.get(node);
    if (keys === undefined) this.claimed.set(node, (keys = new Set()));
    keys.add(key);
    return true;
  }

  release(key: string, node: string): void {
    if (this.claims.get(key) !== node) return;
    this.claims.delete(key);
    this.claimed.get(node)?.delete(key);
  }

  /** A dead node's lease is not set again: its id stays dead until the mark expires. */
  renew(node: string, info: string, ttlMs: number, first: boolean): RenewResult {
    if (this.isDead(node)) return 'dead';
    const was = this.live(node);
    this.leases.set(node, { info, expiresAt: this.now() + ttlMs });
    return was || first ? 'ok' : 'lapsed';
  }

  nodes(): NodeLease[] {
    const now = this.now();
    const out: NodeLease[] = [];
    for (const [node, lease] of this.leases) if (this.live(node)) out.push({ node, info: lease.info, ttlMs: lease.expiresAt - now });
    return out;
  }

  declareDead(node: string): boolean {
    if (this.isDead(node)) return false;
    this.leave(node);
    this.dead.set(node, this.now() + DEAD_MARK_MS);
    return true;
  }

  /** Deletes `node`'s lease and the claims it still holds. */
  leave(node: string): void {
    this.leases.delete(node);
    for (const key of this.claimed.get(node) ?? []) if (this.claims.get(key) === node) this.claims.delete(key);
    this.claimed.delete(node);
  }
}

/**
 * One node's ClusterBackend on a LocalBroker: `broker.connect()` or `new LocalBackend(broker)`.
 * `new LocalBackend()` makes a private broker: the single-server default, where `publish` on a
 * channel nobody is subscribed to is one map lookup. The state when `listen` is called is `up`
 * (true from the start); `onState` tells the changes after that, which only `simulateDown` makes.
 */
export class LocalBackend implements ClusterBackend {
  readonly kind = 'local';
  private listener: BackendListener | undefined;
  private readonly subscriptions = new Set<string>();
  private connected = true;
  private closed = false;

  constructor(readonly broker: LocalBroker = new LocalBroker()) {}

  get up(): boolean {
    return this.connected && !this.closed;
  }

  listen(listener: BackendListener): void {
    this.listener = listener;
  }

  publish(channel: string, payload: string): boolean {
    if (!this.up) return false;
    this.broker.route(channel, payload);
    return true;
  }

  subscribe(channel: string): void {
    if (this.closed || this.subscriptions.has(channel)) return;
    this.subscriptions.add(channel);
    if (this.connected) this.broker.attach(this, channel);
  }

  unsubscribe(channel: string): void {
    if (!this.subscriptions.delete(channel)) return;
    this.broker.detach(this, channel);
  }

  /**
   * For tests: the engine goes away (true) or comes back (false). While it is away, publish answers
   * false, every Promise rejects with BackendError and no message arrives; `onState(false)` is
   * called once. When it is back, the subscriptions are restored, then `onState(true)` is called.
   */
  simulateDown(down: boolean): void {
    if (this.closed || down !== this.connected) return;
    this.connected = !down;
    for (const channel of this.subscriptions) {
      if (down) this.broker.detach(this, channel);
      else this.broker.attach(this, channel);
    }
    this.broker.tell(this, !down, down ? 'local engine down (simulated)' : undefined);
  }

  /** A message the broker routed here (for LocalBroker): dropped if unsubscribed, down or closed since. */
  receive(channel: string, payload: string): void {
    if (this.up && this.subscriptions.has(channel)) this.listener?.onMessage(channel, payload);
  }

  /** A state change the broker queued (for LocalBroker). */
  changed(up: boolean, reason: string | undefined): void {
    if (!this.closed) this.listener?.onState(up, reason);
  }

  private async call<T>(what: string, fn: () => T): Promise<T> {
    if (!this.up) throw new BackendError(`${what}: local engine ${this.closed ? 'closed' : 'down'}`);
    return fn();
  }

  claim(key: string, node: string): Promise<boolean> {
    return this.call('claim', () => this.broker.claim(key, node));
  }

  release(key: string, node: string): Promise<void> {
    return this.call('release', () => this.broker.release(key, node));
  }

  renew(node: string, info: string, ttlMs: number, first = false): Promise<RenewResult> {
    return this.call('renew', () => this.broker.renew(node, info, ttlMs, first));
  }

  nodes(): Promise<NodeLease[]> {
    return this.call('nodes', () => this.broker.nodes());
  }

  declareDead(node: string): Promise<boolean> {
    return this.call('declareDead', () => this.broker.declareDead(node));
  }

  leave(node: string): Promise<void> {
    return this.call('leave', () => this.broker.leave(node));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.subscriptions) this.broker.detach(this, channel);
    this.subscriptions.clear();
  }
}
