/**
 * How long a test waits for an event (a line, a close, a log line) before it fails. Generous on
 * purpose: CI is a busy 2-core machine where starting a node process or hashing a password on the
 * thread pool can take seconds. Only a failing test ever waits this long.
 */
export const WAIT_MS = 20_000;

export interface WaitOptions {
  timeoutMs?: number;
  /** Pause between checks; raise it when a check is costly (e.g. it runs tmux). */
  everyMs?: number;
}

/**
 * Resolves once `ready()` is true; rejects with `describe()` after `timeoutMs`. For state that has no
 * event to listen to (a hub's size, what a fake transport was given, a terminal's screen): the wait
 * ends when the state is reached, not after a guessed number of event-loop turns or milliseconds.
 */
export async function waitUntil(ready: () => boolean | Promise<boolean>, describe: () => string, { timeoutMs = WAIT_MS, everyMs = 1 }: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * One setImmediate turn. Not a guess: an Outbox schedules its flush with setImmediate when a
 * message is pushed, and immediates run in the order they were queued, so after awaiting this
 * (called after the push) the flush has run, however busy the machine is.
 */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
