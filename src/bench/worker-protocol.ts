/**
 * Messages between the bench coordinator and its generator processes (child_process.fork with
 * 'advanced' serialization, so typed arrays cross intact). Every request carries `seq` and gets
 * exactly one reply with the same `seq`.
 */

/** How a target is spoken to: our line protocol, Redis pub/sub over RESP3, our browser protocol (JSON over WebSocket), or IRC. */
export type Proto = 'text' | 'redis' | 'ws' | 'irc';

/** One address clients connect to: a server, or one node of a cluster. */
export interface Endpoint {
  host: string;
  port: number;
}

export interface WorkerConfig {
  /** Client i (0-based) connects to endpoints[i mod length]: one entry, or one per cluster node. */
  endpoints: Endpoint[];
  proto: Proto;
  /** The WebSocket endpoint's path (`/ws`) for proto ws; unused otherwise. */
  wsPath: string;
  /** `{i}` is replaced by the 1-based client number. */
  userPattern: string;
  passPattern: string;
  /** Redis channel all room clients subscribe to; for IRC the channel is `#` + this. */
  channel: string;
  /** IRC: register with `PASS` (the pass pattern) before NICK/USER; our server wants it, ngIRCd and InspIRCd get none. */
  ircPass: boolean;
  /** Size of the per-sender delivery table: every client id is below this. */
  totalClients: number;
  /** Per-login bound (ms) from connect to welcome. */
  loginTimeoutMs: number;
}

export interface CpuTimes { user: number; system: number }

export interface RecorderDump { counts: Float64Array; max: number }

export type Request =
  | { op: 'init'; config: WorkerConfig }
  /** Connect and log in `ids` (0-based), `concurrency` at a time; `rooms` > 0 spreads them over rooms. */
  | { op: 'login'; ids: number[]; concurrency: number; rooms: number }
  | { op: 'counts' }
  /** Send `total` messages at `rate`/s round-robin from `senders`, first one `offset` intervals in. */
  | { op: 'send'; phase: number; senders: number[]; rate: number; total: number; offset: number }
  /** Returns this phase's receive statistics and starts counting `nextPhase`. */
  | { op: 'collect'; nextPhase: number }
  /** Login churn: each slot id repeats connect, log in, leave, until `deadlineMs` or `count` sessions. */
  | { op: 'churn'; slots: number[]; count: number; deadlineMs: number }
  | { op: 'close' };

export type RequestOp = Request['op'];

export interface LoginReply { ok: number; failed: number; errors: string[]; connect: RecorderDump; login: RecorderDump; elapsedMs: number }
export interface CountsReply {
  lines: number;
  delivered: number;
  alive: number;
  /** Logged-in connections that closed, by reason (a socket error's message, or the server's FIN). */
  closed: Record<string, number>;
}
export interface SendReply { sent: number; perSender: Float64Array; elapsedMs: number }
export interface CollectReply {
  delivered: number;
  stale: number;
  lines: number;
  alive: number;
  perSender: Float64Array;
  latency: RecorderDump;
  /** Clock (µs, see clock.ts) of the last delivery of the phase; 0 when none. */
  lastMicros: number;
}
export interface ChurnReply { ok: number; failed: number; notClosed: number; errors: string[]; connect: RecorderDump; login: RecorderDump; elapsedMs: number }

export interface ReplyMap {
  init: { pid: number };
  login: LoginReply;
  counts: CountsReply;
  send: SendReply;
  collect: CollectReply;
  churn: ChurnReply;
  close: { closed: number };
}

export interface Envelope { seq: number; req: Request }
export interface ReplyEnvelope { seq: number; ok: boolean; error?: string; value?: unknown; cpu: CpuTimes }
