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
  /**
   * The sink took `messages` outstanding messages (a round ended). `windowLimited`: messages were
   * left waiting because the window was full during the round. Only such rounds grow the window
   * (as TCP's congestion window validation, RFC 7661): a recipient that never fills its window
   * says nothing about how much more it could take.
   */
  acked(messages: number, windowLimited: boolean): void;
  /** Backpressure (write returned false) or a drop. */
  congested(): void;
}

export interface AimdLimits {
  cwndInitial: number;
  cwndMin: number;
  cwndMax: number;
}

/**
 * Additive increase, multiplicative decrease, as TCP Reno's congestion control, counted in messages:
 * - slow start: until the first congestion signal, +1 per acknowledged message, so the window
 *   doubles every round. A reader whose kernel takes every write at once then reaches what its
 *   backlog needs within a few rounds instead of having each flush split into window-sized writes;
 * - only rounds in which the window was full (messages waited for it) grow it;
 * - congestion avoidance: after a decrease, +1 for every full window acknowledged (acks carry over
 *   between rounds);
 * - decrease: halve (never below cwndMin) on a congestion signal, at most once per round: after a
 *   decrease, further signals are ignored until the next ack, as one overflowing burst is one event.
 *   The halved window is the slow-start threshold: growth above it is additive from then on.
 */
export class Aimd implements CongestionWindow {
  private cwnd: number;
  /** Slow-start threshold: below it the window grows per message, at or above it per window. */
  private ssthresh: number;
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
    this.ssthresh = limits.cwndMax;
  }

  get window(): number {
    return this.cwnd;
  }

  /** True until the first congestion signal has set a threshold below the ceiling. */
  get slowStart(): boolean {
    return this.cwnd < this.ssthresh;
  }

  acked(messages: number, windowLimited: boolean): void {
    this.recovering = false;
    if (!windowLimited) return;
    if (this.cwnd >= this.limits.cwndMax) {
      this.credit = 0;
      return;
    }
    let left = messages;
    if (this.cwnd < this.ssthresh) {
      const grown = Math.min(this.cwnd + left, this.ssthresh);
      left -= grown - this.cwnd;
      if (grown > this.cwnd) this.increases++;
      this.cwnd = grown;
    }
    this.credit += left;
    while (this.credit >= this.cwnd && this.cwnd < this.limits.cwndMax) {
      this.credit -= this.cwnd;
      this.cwnd++;
      this.increases++;
    }
    if (this.cwnd >= this.limits.cwndMax) this.credit = 0;
  }

  congested(): void {
    if (this.recovering) return;
    this.recovering = true;
    this.credit = 0;
    const next = Math.max(this.limits.cwndMin, Math.floor(this.cwnd / 2));
    if (next !== this.cwnd) this.decreases++;
    this.cwnd = next;
    this.ssthresh = next;
  }
}

/** `--cc none`: no window; only the sink's own backpressure limits what is handed over. */
export const NO_WINDOW: CongestionWindow = {
  window: Infinity,
  acked() {},
  congested() {},
};
