/** Upper bounds (ms) of the delivery latency buckets; the last bucket is everything above. */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/**
 * A fixed-bucket latency histogram cheap enough for the flush path: one observe is a short scan and
 * three increments, no allocation. The metrics endpoint exports it as a Prometheus histogram.
 */
export class LatencyHistogram {
  /** Per-bucket counts (not cumulative); index LATENCY_BOUNDS_MS.length is +Inf. */
  readonly counts = new Float64Array(LATENCY_BOUNDS_MS.length + 1);
  count = 0;
  sumMs = 0;

  observe(ms: number): void {
    let i = 0;
    const bounds = LATENCY_BOUNDS_MS;
    while (i < bounds.length && ms > bounds[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sumMs += ms;
  }
}
