/**
 * How long a test waits for an event (a line, a close, a log line) before it fails. Generous on
 * purpose: CI is a busy 2-core machine where starting a node process or hashing a password on the
 * thread pool can take seconds. Only a failing test ever waits this long.
 */
export const WAIT_MS = 20_000;

/**
 * Resolves once `ready()` is true; rejects with `describe()` after `timeoutMs`. For state that has no
 * event to listen to (a hub's size, what a fake transport was given): checked every millisecond,
 * so the wait ends when the state is reached, not after a guessed number of event-loop turns.
 */
export async function waitUntil(ready: () => boolean, describe: () => string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
