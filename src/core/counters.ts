import { LatencyHistogram } from './latency.js';

/**
 * Server-wide counters, shared by the [STATS] line, /stats and the metrics endpoint.
 * Plain numbers, incremented on the hot path: no allocation, no locking (one thread).
 */
export class Counters {
  /** Connections open now (logged in or not). */
  connections = 0;
  /** Connections accepted since start. */
  accepted = 0;
  /** Successful logins since start. */
  logins = 0;
  /** Failed logins since start. */
  loginFailures = 0;
  /** Chat lines received from logged-in users (messages, private messages, actions). */
  messagesIn = 0;
  /** Messages dropped by outbox policies. */
  drops = 0;
  /** Messages handed to sockets by outboxes (OutboxTotals). */
  written = 0;
  /** Time from entering an outbox to being handed to the socket, one sample per write (OutboxTotals). */
  readonly latency = new LatencyHistogram();
  /** Inbound lines held back (--flood-policy delay) or refused (reject) by flood control. */
  floodDelayed = 0;
  floodRejected = 0;
}
