import type { Clock } from './clock.js';

/**
 * `--drain-timeout` for one outbox: notices a sink that makes no progress for `timeoutMs` and says
 * so once (`onTimeout`); the owner then closes the connection.
 *
 * Contract:
 * - stalled() and progressed() are O(1) and allocate nothing once the timer is armed: they run on
 *   the send path. One lazy, unref'd timer per stalled outbox: progress only resets the start of the
 *   stall; when the timer fires it finds progress was made (and stops), or no progress for the whole
 *   timeout (and fires onTimeout), or re-arms for the rest.
 * - A timeout of 0 watches nothing. After stop() nothing fires.
 */
export class DrainWatchdog {
  /** When the outbox started waiting on a sink that makes no progress; 0 = not waiting. */
  private since = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly onTimeout: () => void,
  ) {}

  /** The sink pushes back or holds what it was given: start watching, unless already watching. */
  stalled(now: number): void {
    if (this.since === 0) this.since = now;
    if (this.timeoutMs > 0 && !this.timer) this.arm(this.timeoutMs);
  }

  /** The sink took bytes: the stall (if any) is over. */
  progressed(): void {
    this.since = 0;
  }

  stop(): void {
    this.since = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Called by the timer. */
  check(): void {
    this.timer = undefined;
    if (this.since === 0) return;
    const left = this.since + this.timeoutMs - this.clock();
    if (left <= 0) this.onTimeout();
    else this.arm(left);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(onTimer, Math.max(1, Math.ceil(ms)), this);
    this.timer.unref();
  }
}

function onTimer(watchdog: DrainWatchdog): void {
  watchdog.check();
}
