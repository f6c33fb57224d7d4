/**
 * A monotonic clock in milliseconds. Flow control takes one as a parameter so unit tests can drive
 * time by hand; production code uses `monotonicMs`.
 */
export type Clock = () => number;

export const monotonicMs: Clock = () => performance.now();

/** Wall-clock time in ms since the epoch, for time stamps people read; injectable like Clock. */
export const wallMs: Clock = () => Date.now();
