import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fsReason, hasErrorCode } from '../store/accounts/atomic-write.js';

/** The files SQLite writes in --data-dir (WAL mode); each must be writable when it exists. */
const DB_FILES = ['chat.db', 'chat.db-wal'] as const;

/**
 * Why DIR cannot hold the chat database, found before SQLite opens it: SQLite itself only says
 * "unable to open database file" (a directory it cannot write in) or "disk I/O error" (a database
 * file it cannot write). Returns one clause to follow `--data-dir DIR: `, or undefined when
 * nothing is wrong that a look at the file system shows (SqliteStore then reports the rest: a
 * corrupt or newer database, another server's lock). Checks what this process may do, so root
 * passes where permissions alone would stop another user, as it should.
 */
export function dataDirProblem(dir: string): string | undefined {
  try {
    return problemOf(dir);
  } catch (err: unknown) {
    return `cannot be examined (${fsReason(err)})`;
  }
}

function problemOf(dir: string): string | undefined {
  const full = resolve(dir);
  const here = statOrUndefined(full);
  if (here === undefined) return creationProblem(full);
  if (!here.isDirectory()) return 'not a directory';
  const denied = accessProblem(full, constants.W_OK | constants.X_OK);
  if (denied !== undefined) return `cannot write in this directory (${denied}); make it writable or choose another --data-dir`;
  for (const name of DB_FILES) {
    const file = join(dir, name);
    const s = statOrUndefined(file);
    if (s === undefined) continue;
    if (!s.isFile()) return `${file} is not a file`;
    const readOnly = accessProblem(file, constants.R_OK | constants.W_OK);
    if (readOnly !== undefined) return `${file} is read-only (${readOnly}); make it writable or choose another --data-dir`;
  }
  return undefined;
}

/** DIR does not exist: its nearest existing ancestor must be a directory this process can write in. */
function creationProblem(full: string): string | undefined {
  let ancestor = dirname(full);
  let s = statOrUndefined(ancestor);
  while (s === undefined && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
    s = statOrUndefined(ancestor);
  }
  if (s === undefined) return undefined;
  if (!s.isDirectory()) return `cannot create it: ${ancestor} is a file, not a directory`;
  const denied = accessProblem(ancestor, constants.W_OK | constants.X_OK);
  return denied === undefined ? undefined : `cannot create it: ${ancestor} is not writable (${denied})`;
}

/** Undefined for a path that is missing or sits under a file (ENOENT, ENOTDIR). */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err: unknown) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

function accessProblem(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (err: unknown) {
    return fsReason(err);
  }
}
