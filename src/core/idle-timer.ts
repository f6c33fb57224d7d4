import { monotonicMs, type Clock } from './clock.js';
/**
 * Calls `onIdle` once when `touch()` has not been called for `ms` milliseconds.
 *
 * touch() is on the input hot path, so it only stores a timestamp; the single timer, when it fires
 * early, re-arms itself for the remainder instead of being reset on every chunk.
 */
export class IdleTimer {
  private last: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
    private readonly now: Clock = monotonicMs,
  ) {
    this.last = now();
    this.arm(ms);
  }

  touch(): void {
    this.last = this.now();
  }

  /** Stops the timer for good. Idempotent. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const left = this.last + this.ms - this.now();
    if (left > 0) return this.arm(left);
    this.timer = undefined;
    this.onIdle();
  }
}
