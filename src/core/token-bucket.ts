/**
 * A token bucket: `rate` tokens per second accrue up to `capacity`. Used for inbound flood control
 * (tokens = messages) and for the simulated link (tokens = bytes). Time is passed in (ms from any
 * monotonic clock), so the bucket itself never reads a clock and tests can drive it exactly.
 * Allocation-free; every method is O(1).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Tokens available at `now` (after refilling). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Takes `n` tokens if they are all there; false (and nothing taken) otherwise. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Takes as many whole tokens as are there, up to `max`; returns how many were taken. */
  takeUpTo(max: number, now: number): number {
    this.refill(now);
    const n = Math.min(max, Math.floor(this.tokens));
    if (n > 0) this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens will be available (0 if they are now). Infinity if rate is 0. */
  waitMs(n: number, now: number): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (this.rate <= 0) return Infinity;
    return ((n - this.tokens) * 1000) / this.rate;
  }

  /** Changes rate and capacity, keeping the tokens already earned (capped at the new capacity). */
  reconfigure(rate: number, capacity: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.capacity = capacity;
    if (this.tokens > capacity) this.tokens = capacity;
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
  }
}
