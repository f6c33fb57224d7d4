import { createRequire } from 'node:module';
import { StoreError, type StoreLimits } from '../core/store.js';
import type { SqliteStore } from '../store/sqlite.js';
import type { FlushHooks } from '../core/turn-flush.js';
import { dataDirProblem } from './data-dir-check.js';

/**
 * Loading the SQLite store (--data-dir). better-sqlite3 is an optional dependency: its native part
 * is downloaded prebuilt or compiled (which needs a C++ toolchain) at install, and where neither
 * works npm leaves the package out and the install still succeeds. So it is loaded only when
 * --data-dir asks for it, by a dynamic import; without it the server runs with history in memory
 * and --data-dir is one clear error saying what to install.
 *
 * Contract: nothing here loads better-sqlite3 unless a caller opens a store; `sqliteInstalled`
 * only resolves the package's path.
 */

/** How to get --data-dir where better-sqlite3 could not be built. */
export const SQLITE_HOW_TO = 'install a C++ toolchain (Debian/Ubuntu: apt-get install build-essential python3) and run npm ci';

/** Whether better-sqlite3 is installed: resolved, not loaded (cheap enough for the start banner). */
export function sqliteInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('better-sqlite3');
    return true;
  } catch {
    return false;
  }
}

/** Undefined when better-sqlite3 and its native part load; else why not, as one sentence. */
async function sqliteProblem(): Promise<string | undefined> {
  try {
    const { default: Database } = await import('better-sqlite3');
    // The native part is loaded by the first Database: a binary built for another Node.js fails here.
    new Database(':memory:').close();
    return undefined;
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code === 'ERR_MODULE_NOT_FOUND') return `--data-dir needs better-sqlite3, which is not installed (npm could not build it here); ${SQLITE_HOW_TO}, or leave out --data-dir to keep history in memory`;
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return `--data-dir needs better-sqlite3, which is installed but cannot be loaded (${why}); run npm rebuild better-sqlite3, or leave out --data-dir to keep history in memory`;
  }
}

/**
 * Opens DIR/chat.db. Throws StoreError with one line for the user: better-sqlite3 missing or
 * unloadable, a directory or database this process cannot write, or whatever SqliteStore refuses.
 * `turns`: the server's flush, whose beforeFlush hook commits each turn (none in the history tool).
 */
export async function openSqliteStore(dir: string, limits: StoreLimits, onError?: (message: string) => void, turns?: FlushHooks): Promise<SqliteStore> {
  const missing = await sqliteProblem();
  if (missing !== undefined) throw new StoreError(missing);
  const problem = dataDirProblem(dir);
  if (problem !== undefined) throw new StoreError(`--data-dir ${dir}: ${problem}`);
  const { SqliteStore: Store } = await import('../store/sqlite.js');
  return new Store(dir, limits, onError, turns);
}
