/**
 * Everything the bench started (generator processes, target servers) registers its teardown here,
 * so a normal end, an error and Ctrl-C all close every socket and child process.
 */
const tasks = new Set<() => Promise<void>>();
/** Teardowns started and not yet finished: a second cleanupAll (Ctrl-C during an error's) waits for them too. */
const running = new Set<Promise<void>>();

/**
 * Registers a teardown; the returned function runs it now (once) and unregisters it. Calling it
 * again, also while it runs, returns the same promise.
 */
export function onCleanup(task: () => Promise<void>): () => Promise<void> {
  let run: Promise<void> | null = null;
  const once = (): Promise<void> => {
    if (run === null) {
      tasks.delete(once);
      const p = task().finally(() => running.delete(p));
      running.add(p);
      run = p;
    }
    return run;
  };
  tasks.add(once);
  return once;
}

/** Runs every pending teardown, newest first (generators before the server they talk to), and waits for those already running. */
export async function cleanupAll(): Promise<void> {
  for (const t of [...tasks].reverse()) {
    try {
      await t();
    } catch {
      // Best effort: one failed teardown must not keep the others from running.
    }
  }
  await Promise.allSettled([...running]);
}
