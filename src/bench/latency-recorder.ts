import * as hdr from 'hdr-histogram-js';

/**
 * Allocation-free latency recorder for the receive hot path (millions of values a second, where
 * hdr-histogram-js's recordValue costs ~170 ns). Log-linear buckets as HDR uses them: exact below
 * 256 µs, then 128 sub-buckets per power of two (< 0.8 % error). Workers ship `counts` to the
 * coordinator, which folds them into one HDR histogram for the percentiles.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const LINEAR = 2 * SUB;
/** Values up to 2^31 µs (~35 min) are bucketed; larger ones land in the last bucket. */
export const BUCKETS = LINEAR + (31 - SUB_BITS - 1) * SUB;

export class LatencyRecorder {
  readonly counts = new Float64Array(BUCKETS);
  max = 0;

  record(micros: number): void {
    const v = micros < 0 ? 0 : micros > 0x7fffffff ? 0x7fffffff : micros | 0;
    if (v > this.max) this.max = v;
    if (v < LINEAR) {
      this.counts[v]!++;
      return;
    }
    const msb = 31 - Math.clz32(v);
    const shift = msb - SUB_BITS;
    this.counts[LINEAR + (msb - SUB_BITS - 1) * SUB + ((v >>> shift) - SUB)]!++;
  }

  reset(): void {
    this.counts.fill(0);
    this.max = 0;
  }
}

/** The middle of bucket `i` in microseconds: what the bucket's values are reported as. */
export function bucketValue(i: number): number {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const shift = Math.floor(k / SUB) + 1;
  const low = (SUB + (k % SUB)) * 2 ** shift;
  return low + 2 ** (shift - 1);
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Folds worker bucket arrays (and their exact maxima) into an HDR histogram and summarises it. */
export function summarize(parts: Array<{ counts: Float64Array; max: number }>): LatencySummary {
  const h = hdr.build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3, autoResize: true });
  let max = 0;
  for (const p of parts) {
    if (p.max > max) max = p.max;
    for (let i = 0; i < p.counts.length; i++) {
      const c = p.counts[i]!;
      if (c > 0) h.recordValueWithCount(Math.min(bucketValue(i), Math.max(p.max, 1)), c);
    }
  }
  const ms = (us: number): number => Math.round(us) / 1000;
  const out: LatencySummary = {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(max),
    meanMs: ms(h.mean),
  };
  h.destroy();
  return out;
}
