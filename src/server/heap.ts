import { setFlagsFromString } from 'node:v8';
import { DEFAULTS } from '../core/limits.js';

/**
 * Sets how far V8 lets the old generation grow past what survived the last full collection before
 * it collects again (DEFAULTS.heapGrowingPercent). The server's live heap is small (about 15 MiB
 * with a few users) and what hostile input makes is garbage: sockets, sessions and buffers of
 * connections that live long enough to be promoted and die soon after. V8's own factor, chosen
 * from its speed estimates, let that garbage grow the heap by up to four times before collecting,
 * so RSS followed the attack's rate (docs/benchmarks.md, "Hostile soak").
 *
 * MUST be called in the server process before its heap has grown (first thing after the options
 * are read). A value given to node itself (`node --heap-growing-percent=N`) is left alone.
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${DEFAULTS.heapGrowingPercent}`);
}
