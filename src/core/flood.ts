import { TokenBucket } from './token-bucket.js';
import type { FloodPolicy } from './limits.js';
import type { Clock } from './clock.js';

export interface FloodLimits {
  /** Sustained inbound messages per second; 0 turns flood control off. */
  floodRate: number;
  /** Messages a sender may send at once above the rate. */
  floodBurst: number;
  floodPolicy: FloodPolicy;
}

/** What to do with one inbound line: handle it, hold it for `waitMs` (delay policy), or refuse it. */
export type FloodVerdict = { readonly kind: 'go' } | { readonly kind: 'wait'; readonly waitMs: number } | { readonly kind: 'refuse'; readonly first: boolean };

const GO: FloodVerdict = { kind: 'go' };

/**
 * Inbound flood control of one sender: a token bucket of `floodBurst` messages refilled at
 * `floodRate` per second. Over the rate, a line is either held until a token is due (IRC's
 * "fakelag": the session pauses reading that one socket, nobody else waits) or refused; `first`
 * marks the first refusal of a run so the sender is told once, not once per line.
 */
export class FloodControl {
  private readonly bucket: TokenBucket;
  private refusing = false;
  private waiting = false;
  /** Lines held back or refused, for /stats. */
  delayed = 0;
  refused = 0;

  constructor(
    readonly limits: FloodLimits,
    private readonly clock: Clock,
  ) {
    this.bucket = new TokenBucket(limits.floodRate, limits.floodBurst, clock());
  }

  /**
   * Decides about the next inbound line. A line that may go has taken its token. Lines are checked
   * one at a time, and a held line is checked again (first) when its wait is over.
   */
  check(): FloodVerdict {
    const now = this.clock();
    if (this.bucket.take(1, now)) {
      this.refusing = false;
      this.waiting = false;
      return GO;
    }
    if (this.limits.floodPolicy === 'delay') {
      // A held line is checked again when its wait is over: count it once.
      if (!this.waiting) this.delayed++;
      this.waiting = true;
      return { kind: 'wait', waitMs: Math.max(1, Math.ceil(this.bucket.waitMs(1, now))) };
    }
    this.refused++;
    const first = !this.refusing;
    this.refusing = true;
    return { kind: 'refuse', first };
  }
}
