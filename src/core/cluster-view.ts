import type { Person } from './remote.js';
import { LatencyHistogram } from './latency.js';

/** Bus counters of a cluster node (metrics chat_cluster_*, /stats all). */
export class ClusterStats {
  published = 0;
  received = 0;
  /** Messages that could not cross: the bus was down (or refused) when they were published. */
  busDrops = 0;
  malformed = 0;
  duplicates = 0;
  /** Time from an event's creation on another node to its delivery here (wall clocks). */
  readonly lag = new LatencyHistogram();
}

/**
 * What the chat logic may ask of the cluster this node belongs to (src/cluster/node.ts implements
 * it). Undefined on a single server. Nothing here blocks: the answers are what this node knows now.
 */
export interface ClusterView {
  /** This node's id (name~suffix). */
  readonly id: string;
  /** Whether the bus (Redis) is connected. */
  readonly up: boolean;
  /** Asks the user's node to disconnect them (an admin's /kick). False when the bus is down. */
  kick(user: Person, by: string): boolean;
  /** Every node this one knows of, itself first, with its last reported counters (/stats all). */
  nodes(): readonly ClusterNodeRow[];
  readonly stats: ClusterStats;
  /** Other nodes this one hears from. */
  readonly peerCount: number;
}

export interface ClusterNodeRow {
  readonly node: string;
  readonly name: string;
  readonly self: boolean;
  readonly users: number;
  readonly connections: number;
  readonly messagesIn: number;
  readonly written: number;
  readonly drops: number;
  readonly busDrops: number;
  /** Seconds since its last heartbeat reached this node. */
  readonly silentS: number;
}
