import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** True when `err` is a Node.js system error with the given code (ENOENT, EACCES, ...). */
export function hasErrorCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}

/** A short, plain reason for a file system error, without the stack or the syscall name. */
export function fsReason(err: unknown): string {
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a parent is not a directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
  };
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    const reason = reasons[err.code];
    if (reason !== undefined) return reason;
  }
  return err instanceof Error ? err.message : String(err);
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err: unknown) {
    if (hasErrorCode(err, 'ENOENT')) return null;
    throw err;
  }
}

/** Flushes a directory entry change (the rename) to disk; some platforms cannot, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort: the data itself is already synced, only the rename's durability is at stake.
  }
}

/**
 * Replaces `path` with `data` so readers see the old file or the new one, never a mix: the data
 * goes to a temporary file in the same directory (created 0600, so a password hash is never
 * readable by others in between), is fsynced, then renamed over the target. A symlink is
 * followed, so the link stays and its target is replaced. An existing file keeps its mode, and
 * when run as root also its owner, so a server running as another user can still read it.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const existing = await statOrNull(path);
  const target = existing ? await realpath(path) : path;
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data, 'utf8');
      if (existing) await keepMetadata(fh, existing);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err: unknown) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(target));
}

async function keepMetadata(fh: FileHandle, existing: Stats): Promise<void> {
  await fh.chmod(existing.mode & 0o7777);
  if (process.getuid?.() === 0) await fh.chown(existing.uid, existing.gid);
}
