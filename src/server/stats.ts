import type { ChatContext } from '../core/context.js';

/** One sample of the server-wide flow figures; rates are per second over the last interval. */
export interface StatsSample {
  connections: number;
  online: number;
  inPerS: number;
  outPerS: number;
  deliveriesPerS: number;
  dropsPerS: number;
  dropsTotal: number;
  /** Largest queue depth any client reached during the interval. */
  largestQueue: number;
}

/**
 * Computes [STATS] samples from the shared counters: each call covers the time since the previous
 * one. Reading resets every outbox's peakDepth (this is the only reader of it).
 */
export class StatsSampler {
  private last = { at: 0, in: 0, out: 0, deliveries: 0, drops: 0 };

  constructor(private readonly ctx: ChatContext) {
    this.last = this.snapshot(performance.now());
  }

  sample(now: number = performance.now()): StatsSample {
    const cur = this.snapshot(now);
    const seconds = Math.max((cur.at - this.last.at) / 1000, 1e-3);
    const rate = (a: number, b: number) => Math.round(((a - b) / seconds) * 10) / 10;
    let largestQueue = 0;
    for (const m of this.ctx.hub.members()) {
      if (m.outbox.peakDepth > largestQueue) largestQueue = m.outbox.peakDepth;
      m.outbox.peakDepth = m.outbox.depth;
    }
    const s: StatsSample = {
      connections: this.ctx.counters.connections,
      online: this.ctx.hub.size,
      inPerS: rate(cur.in, this.last.in),
      outPerS: rate(cur.out, this.last.out),
      deliveriesPerS: rate(cur.deliveries, this.last.deliveries),
      dropsPerS: rate(cur.drops, this.last.drops),
      dropsTotal: cur.drops,
      largestQueue,
    };
    this.last = cur;
    return s;
  }

  private snapshot(at: number) {
    const c = this.ctx.counters;
    return { at, in: c.messagesIn, out: c.written, deliveries: this.ctx.hub.deliveries, drops: c.drops };
  }
}

export function formatStats(s: StatsSample): string {
  return (
    `${s.connections} connections, ${s.online} online; in ${s.inPerS}/s, out ${s.outPerS}/s, deliveries ${s.deliveriesPerS}/s; ` +
    `drops ${s.dropsPerS}/s (${s.dropsTotal} total); largest queue ${s.largestQueue}`
  );
}

/** Logs a [STATS] line every `intervalS` seconds (0 = never). Returns the stop function. */
export function startStatsLog(ctx: ChatContext, intervalS: number): () => void {
  if (intervalS <= 0) return () => {};
  const sampler = new StatsSampler(ctx);
  const timer = setInterval(() => {
    const s = sampler.sample();
    ctx.log.event('STATS', formatStats(s), { ...s });
  }, intervalS * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
