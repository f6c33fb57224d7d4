/**
 * The congestion window of one outbox: how many messages may be outstanding, i.e. handed to the
 * sink but not yet acknowledged. An acknowledgement here is the sink's user-space buffer running
 * empty (writableLength reaching 0): everything handed over has reached the kernel (or the
 * simulated link has carried it). The kernel's own TCP congestion control works underneath, on
 * bytes and segments; this window works above it, on whole messages, and decides how much of a
 * recipient's backlog is committed to the socket (where nothing can be dropped or reordered any
 * more) and how much stays in the queue, where the overflow policy can still choose what is lost.
 */
export interface CongestionWindow {
  /** Messages that may be outstanding now. Infinity = no window. */
  readonly window: number;
  /** The sink took `messages` outstanding messages (a round ended). */
  acked(messages: number): void;
  /** Backpressure (write returned false) or a drop. */
  congested(): void;
}

export interface AimdLimits {
  cwndInitial: number;
  cwndMin: number;
  cwndMax: number;
}

/**
 * Additive increase, multiplicative decrease, as TCP Reno's congestion avoidance, counted in
 * messages:
 * - increase: +1 for every full window acknowledged (acks carry over between rounds);
 * - decrease: halve (never below cwndMin) on a congestion signal, at most once per round: after a
 *   decrease, further signals are ignored until the next ack, as one overflowing burst is one event.
 */
export class Aimd implements CongestionWindow {
  private cwnd: number;
  private credit = 0;
  private recovering = false;
  /** Counts of window changes, for stats and tests. */
  increases = 0;
  decreases = 0;

  constructor(private readonly limits: AimdLimits) {
    if (!(limits.cwndMin >= 1 && limits.cwndMin <= limits.cwndInitial && limits.cwndInitial <= limits.cwndMax)) {
      throw new RangeError(`AIMD needs 1 <= cwndMin <= cwndInitial <= cwndMax, got ${limits.cwndMin}, ${limits.cwndInitial}, ${limits.cwndMax}`);
    }
    this.cwnd = limits.cwndInitial;
  }

  get window(): number {
    return this.cwnd;
  }

  acked(messages: number): void {
    this.recovering = false;
    if (this.cwnd >= this.limits.cwndMax) {
      this.credit = 0;
      return;
    }
    this.credit += messages;
    while (this.credit >= this.cwnd && this.cwnd < this.limits.cwndMax) {
      this.credit -= this.cwnd;
      this.cwnd++;
      this.increases++;
    }
  }

  congested(): void {
    if (this.recovering) return;
    this.recovering = true;
    this.credit = 0;
    const next = Math.max(this.limits.cwndMin, Math.floor(this.cwnd / 2));
    if (next !== this.cwnd) this.decreases++;
    this.cwnd = next;
  }
}

/** `--cc none`: no window; only the sink's own backpressure limits what is handed over. */
export const NO_WINDOW: CongestionWindow = {
  window: Infinity,
  acked() {},
  congested() {},
};
