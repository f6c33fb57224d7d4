import { FloodControl } from '../../core/flood.js';
import { monotonicMs } from '../../core/clock.js';
import type { TextSession } from './session.js';

/**
 * Applies flood control to a text session's chat lines (src/core/flood.ts decides). `exit` and
 * `/quit` are never refused, so a flooder can always leave.
 */
export class TextFloodGate {
  readonly control: FloodControl;
  private timer: NodeJS.Timeout | undefined;
  private countedDelayed = 0;

  constructor(private readonly session: TextSession) {
    this.control = new FloodControl(session.ctx.config, monotonicMs);
  }

  /**
   * True when `line` may be handled now. Otherwise it was either held at the front of the session's
   * input (reading paused, released when a token is due) or refused with at most one notice per run.
   */
  admit(line: string): boolean {
    if (isLeaving(line)) return true;
    const verdict = this.control.check();
    if (verdict.kind === 'go') return true;
    const s = this.session;
    if (verdict.kind === 'wait') {
      if (this.control.delayed !== this.countedDelayed) {
        this.countedDelayed = this.control.delayed;
        s.ctx.counters.floodDelayed++;
      }
      s.defer(line);
      this.timer = setTimeout(releaseSession, verdict.waitMs, s);
      this.timer.unref();
      return false;
    }
    s.ctx.counters.floodRejected++;
    if (verdict.first) s.notice(`You are sending too fast (limit ${this.control.limits.floodRate} messages per second); messages are refused until you slow down.`);
    return false;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function isLeaving(line: string): boolean {
  const t = line.trim().toLowerCase();
  return t === 'exit' || t === '/quit';
}

function releaseSession(s: TextSession): void {
  s.release();
}
