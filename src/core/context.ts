import type { Hub } from './hub.js';
import type { AccountStore } from './accounts.js';
import type { Logger } from './log.js';
import type { Counters } from './counters.js';
import type { AuthThrottle } from './throttle.js';
import type { VerifyQueue } from './verify-queue.js';
import type { NameClaims } from './name-claims.js';
import type { Clock } from './clock.js';
import type { ChatMember, MemberSettings } from './member.js';
import type { ChatStore } from './store.js';
import type { ClusterView } from './cluster-view.js';
import type { TurnFlush } from './turn-flush.js';

/**
 * The shared chat state every protocol session works on: built once per server by
 * src/server/server.ts, passed to each protocol's session factory. Holds no protocol's settings
 * (each protocol takes its own as an argument) and not the server's config.
 */
export interface ChatContext {
  readonly hub: Hub<ChatMember>;
  readonly accounts: AccountStore;
  /** The duplicate-login rule (src/core/name-claims.ts). */
  readonly claims: NameClaims;
  /** Bounds password checks in flight, per address and in total. */
  readonly verifier: VerifyQueue;
  /** Failed logins per address, shared by every connection and listener so reconnecting does not reset it. */
  readonly throttle: AuthThrottle;
  /** Per-member limits: outbox, flood control, idle timeout, per-user send delays. */
  readonly settings: MemberSettings;
  readonly log: Logger;
  readonly counters: Counters;
  /** Room history and offline messages (memory, or SQLite with --data-dir). */
  readonly store: ChatStore;
  /** Lines of room history sent after the welcome and after every join (--replay-on-join); 0 = none. */
  readonly replayOnJoin: number;
  /**
   * This server's end-of-turn flush: every member's outbox is flushed by it, and a durable store
   * commits from its beforeFlush hook. One per server, never shared with another hub in the process.
   */
  readonly flush: TurnFlush;
  /** Monotonic clock (uptime, timers, outboxes); the hub has its own wall clock for stamps. */
  readonly clock: Clock;
  readonly startedAt: number;
  /** The cluster this node is part of (--redis); undefined on a single server. */
  cluster: ClusterView | undefined;
  /** Set at shutdown: no login completes, input is ignored, every close is logged as SHUTDOWN. */
  shuttingDown: boolean;
}
