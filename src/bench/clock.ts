import { performance } from 'node:perf_hooks';

/**
 * A microsecond clock that every process on this machine reads alike. `process.hrtime` is
 * CLOCK_MONOTONIC, shared by all processes, but allocates on each call; `performance.now()` does
 * not allocate but counts from this process's start. Sampling both once gives the offset, so the
 * hot path can stamp and compare times across generator processes with a plain double.
 */
const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Whole microseconds of CLOCK_MONOTONIC; comparable between processes on the same host. */
export function nowMicros(): number {
  return Math.floor((performance.now() + offsetMs) * 1000);
}
