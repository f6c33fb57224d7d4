/**
 * What a cluster of chat nodes needs from a shared engine: pub/sub channels, the duplicate-login
 * rule across nodes (name claims) and node leases. Two implementations, one contract, one
 * conformance suite (test/unit/cluster-backend.test.ts):
 * - LocalBackend (src/cluster/local.ts): every "node" in one process, joined through a LocalBroker.
 *   The single-server default (one node, nobody else subscribed) and the model for the tests.
 * - RedisBackend (src/cluster/redis.ts): Redis 7 standalone, or Redis Cluster with sharded pub/sub.
 *
 * Contract:
 * - `publish` MUST NOT block, await or throw. It returns false when the message could not be handed
 *   to the engine (disconnected): the caller counts it as dropped, never as delivered.
 * - A message published on a channel reaches every instance subscribed to that channel at the time
 *   the engine routes it (the publisher's own instance too, if it is subscribed), at most once, in
 *   the order that publisher published on that channel. Across channels, one publisher's order is
 *   kept by LocalBackend and standalone Redis, not by Redis Cluster (channels live on shards).
 * - `onMessage` is called asynchronously (never from inside `publish` or `subscribe`).
 * - `subscribe`/`unsubscribe` are idempotent, take effect in call order, and are restored by the
 *   backend itself after a reconnect (the caller does not re-subscribe).
 * - `onState` reports changes after `listen` (the state at that moment is `up`): `onState(true)`
 *   each time the backend is reconnected and its subscriptions are restored, `onState(false)` when
 *   it loses the engine. On a Redis Cluster, `up` means every master answers.
 * - A subscription takes effect some time after `subscribe` returns (a round trip to the engine):
 *   a message published on the channel before that is not received.
 * - Claims: `claim(key, node)` is atomic across all instances. It succeeds when `key` is free, or
 *   held by `node` already, or held by a node that has no live lease (expired or declared dead).
 *   `release(key, node)` frees `key` only if `node` holds it. Keys are already normalised (nameKey).
 * - Leases: `renew(node, info, ttlMs)` (re)sets the node's lease with a JSON `info` and a time to
 *   live. It answers `'ok'` when the lease was still there (or `first` is true), `'lapsed'` when it
 *   had expired or vanished (a Redis restart loses it too), `'dead'` when another node declared
 *   this one dead since (the node must then drop its users: their names are no longer theirs). A
 *   node declared dead stays dead under that id (every renew answers 'dead'): it rejoins under a new id.
 * - `declareDead(node)` deletes the node's lease and claims and marks it dead (for a day); it
 *   resolves true for exactly one caller, false for the rest (and when already dead).
 * - `leave(node)` is the clean shutdown: lease and claims deleted, no dead mark.
 * - Every method returning a Promise rejects (BackendError) when the engine cannot be reached; none
 *   of them waits longer than the backend's command timeout.
 * - `close()` ends every connection and timer; nothing is called back after it resolves.
 */

export interface NodeLease {
  readonly node: string;
  /** The JSON the node renewed its lease with (see ClusterNode: name, users, counters). */
  readonly info: string;
  /** ms left before the lease expires. */
  readonly ttlMs: number;
}

export type RenewResult = 'ok' | 'lapsed' | 'dead';

export interface BackendListener {
  onMessage(channel: string, payload: string): void;
  onState(up: boolean, reason?: string): void;
}

export interface ClusterBackend {
  /** 'local' or 'redis' (and whether sharded), for the log, /stats and metrics. */
  readonly kind: string;
  readonly up: boolean;
  /** Sets who hears messages and state changes; call once, before subscribing. */
  listen(listener: BackendListener): void;
  publish(channel: string, payload: string): boolean;
  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  claim(key: string, node: string): Promise<boolean>;
  release(key: string, node: string): Promise<void>;
  renew(node: string, info: string, ttlMs: number, first?: boolean): Promise<RenewResult>;
  /** Every live lease (for /stats all and `chat-server cluster status`). */
  nodes(): Promise<NodeLease[]>;
  declareDead(node: string): Promise<boolean>;
  leave(node: string): Promise<void>;
  close(): Promise<void>;
}

/** The engine could not be reached, or answered with an error; `message` says which and why. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
}

/** Channel and key names, shared by every backend so tools (cluster status) read the same ones. */
export const CHANNELS = {
  /** Presence changes, heartbeats and sync requests: every node subscribes. */
  control: 'chat:ctl',
  /** Messages and actions of one room (by nameKey): only nodes with members in it subscribe. */
  room: (key: string): string => `chat:room:${key}`,
  /** Private messages, kicks and sync answers addressed to one node. */
  node: (id: string): string => `chat:node:${id}`,
} as const;
