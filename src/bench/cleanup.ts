/**
 * Everything the bench started (generator processes, target servers) registers its teardown here,
 * so a normal end, an error and Ctrl-C all close every socket and child process.
 */
const tasks = new Set<() => Promise<void>>();

/** Registers a teardown; the returned function runs it now (once) and unregisters it. */
export function onCleanup(task: () => Promise<void>): () => Promise<void> {
  let done = false;
  const once = async (): Promise<void> => {
    if (done) return;
    done = true;
    tasks.delete(once);
    await task();
  };
  tasks.add(once);
  return once;
}

/** Runs every pending teardown, newest first (generators before the server they talk to). */
export async function cleanupAll(): Promise<void> {
  for (const t of [...tasks].reverse()) {
    try {
      await t();
    } catch {
      // Best effort: one failed teardown must not keep the others from running.
    }
  }
}
