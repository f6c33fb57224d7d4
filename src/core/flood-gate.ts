import type { FloodControl } from './flood.js';
import type { Counters } from './counters.js';

/** The input side of a session, as flood control needs it. */
export interface HeldInput {
  /** Puts an input unit (a line, a command) back at the front and stops reading until release(). */
  defer(unit: string): void;
  /** Starts handling held input again. */
  release(): void;
}

/**
 * Applies a member's flood control (src/core/flood.ts decides) to a session's input, whatever the
 * protocol counts as one unit (a text line, an IRC command, a WebSocket message). Over the rate,
 * the unit is held at the front of the session's input (reading paused, released when a token is
 * due: IRC's fakelag) or refused, with `tooFast` called once per run of refusals.
 */
export class FloodGate {
  private timer: NodeJS.Timeout | undefined;
  private countedDelayed = 0;

  constructor(
    readonly control: FloodControl,
    private readonly counters: Counters,
    private readonly input: HeldInput,
    private readonly tooFast: (ratePerS: number) => void,
  ) {}

  /** True when `unit` may be handled now; otherwise it was held (deferred) or refused. */
  admit(unit: string): boolean {
    const verdict = this.control.check();
    if (verdict.kind === 'go') return true;
    if (verdict.kind === 'wait') {
      if (this.control.delayed !== this.countedDelayed) {
        this.countedDelayed = this.control.delayed;
        this.counters.floodDelayed++;
      }
      this.input.defer(unit);
      this.timer = setTimeout(releaseInput, verdict.waitMs, this.input);
      this.timer.unref();
      return false;
    }
    this.counters.floodRejected++;
    if (verdict.first) this.tooFast(this.control.limits.floodRate);
    return false;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function releaseInput(input: HeldInput): void {
  input.release();
}
