/**
 * A monotonic clock in milliseconds. Flow control takes one as a parameter so unit tests can drive
 * time by hand; production code uses `monotonicMs`.
 */
export type Clock = () => number;

export const monotonicMs: Clock = () => performance.now();
