import type { Clock } from '../core/clock.js';
import type { LogFields, Logger } from '../core/log.js';

/**
 * Failing accepts as the log shows them (`[LISTEN] ...`, printed even with --quiet): the first at
 * once, then at most one line per interval, which says how many failures came since the last line.
 * A flood of failures cannot flood the log, and none goes unmentioned: each is a line or counted in
 * the next one.
 */
export class AcceptErrors {
  private lastAt = -Infinity;
  private unreported = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  /** One failure; `what` says in words what failed and why. */
  note(what: string, fields?: LogFields): void {
    const now = this.clock();
    if (now - this.lastAt < this.intervalMs) {
      this.unreported++;
      return;
    }
    const more = this.unreported > 0 ? ` (${this.unreported} more since the last such line)` : '';
    this.lastAt = now;
    this.unreported = 0;
    this.log.error('LISTEN', `${what}${more}`, fields);
  }
}
