import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Account, AccountStore } from '../../core/accounts.js';
import { nameKey } from '../../core/names.js';
import { dummyHash, hashPassword, parseHash, verifyParsed, type ScryptHash } from './password-hash.js';
import { fsReason, hasErrorCode, writeFileAtomic } from './atomic-write.js';
import { checkName, fail, formatUsers, parseUsers, passwordProblem, refuseExisting, requireUser, UsersFileError, withoutUser, withUser, type UserEntry, type UsersDoc } from './users-doc.js';

/**
 * The users file on disk (its format and edits are users-doc.ts): the server reads it through
 * UsersFile, which picks up changes; `chat-server users` edits it through the functions below, each
 * a read, a pure edit and an atomic write.
 */

/** A file larger than this is refused: a users file is a few KiB, anything else is a wrong path. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** How often (ms) the server looks at the file's metadata for changes, at most. */
const DEFAULT_RECHECK_MS = 1000;

/** Identifies one version of the file: a rename (atomic write) changes ino, an edit mtime/size. */
function signatureOf(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

interface Snapshot {
  readonly doc: UsersDoc;
  readonly signature: string;
}

/**
 * Reads and parses the file through one open handle, so the signature belongs to the bytes read
 * even if the file is replaced meanwhile. Throws UsersFileError; `missingOk` turns a missing file
 * into an empty one (for `add`, which creates the file).
 */
async function readSnapshot(path: string, missingOk = false): Promise<Snapshot> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err: unknown) {
    if (missingOk && hasErrorCode(err, 'ENOENT')) return { doc: { lines: [] }, signature: 'missing' };
    fail(`Cannot read ${path}: ${fsReason(err)}.`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) fail(`Cannot read ${path}: not a regular file.`);
    if (st.size > MAX_FILE_BYTES) fail(`Cannot read ${path}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, not a users file.`);
    const text = await fh.readFile('utf8');
    return { doc: parseUsers(text, path), signature: signatureOf(st) };
  } catch (err: unknown) {
    if (err instanceof UsersFileError) throw err;
    fail(`Cannot read ${path}: ${fsReason(err)}.`);
  } finally {
    await fh.close();
  }
}

/**
 * Reads and parses the users file; throws UsersFileError with a message for the user. With
 * `missingOk` a missing file reads as an empty one.
 */
export async function readUsers(path: string, missingOk = false): Promise<UsersDoc> {
  return (await readSnapshot(path, missingOk)).doc;
}

/**
 * Read, change, write: `change` gets the current content and returns the new one (or throws a
 * UsersFileError to refuse). Reading right before writing keeps the window in which a concurrent
 * edit could be lost to milliseconds; there is no lock file that a crash could leave behind.
 */
export async function updateUsers(path: string, change: (doc: UsersDoc) => UsersDoc, create = false): Promise<void> {
  const { doc } = await readSnapshot(path, create);
  const next = change(doc);
  try {
    await writeFileAtomic(path, formatUsers(next));
  } catch (err: unknown) {
    fail(`Cannot write ${path}: ${fsReason(err)}.`);
  }
}


/**
 * Checks that an edit can go ahead before the CLI asks for a password: the name is valid, the
 * file is readable and valid, and the account exists (`mustExist`) or, for add, does not.
 */
export async function checkUser(path: string, name: string, mustExist: boolean): Promise<void> {
  checkName(name);
  const doc = await readUsers(path, !mustExist);
  if (mustExist) requireUser(doc, path, name);
  else refuseExisting(doc, path, name);
}

async function newHash(password: string): Promise<ScryptHash> {
  const bad = passwordProblem(password);
  if (bad !== null) fail(bad);
  const hash = parseHash(await hashPassword(password));
  if (typeof hash === 'string') throw new Error(`hashPassword produced a bad hash: ${hash}`);
  return hash;
}

/** Adds an account, creating the file when it does not exist. Refuses an existing name. */
export async function addUser(path: string, name: string, password: string, admin: boolean): Promise<void> {
  checkName(name);
  const hash = await newHash(password);
  await updateUsers(path, (doc) => {
    refuseExisting(doc, path, name);
    return withUser(doc, { name, admin, hash });
  }, true);
}

export async function removeUser(path: string, name: string): Promise<void> {
  checkName(name);
  await updateUsers(path, (doc) => {
    requireUser(doc, path, name);
    return withoutUser(doc, name);
  });
}

/** Replaces the password of an existing account (new salt too); the admin flag stays. */
export async function setPassword(path: string, name: string, password: string): Promise<void> {
  checkName(name);
  const hash = await newHash(password);
  await updateUsers(path, (doc) => withUser(doc, { ...requireUser(doc, path, name), hash }));
}

export async function setAdmin(path: string, name: string, admin: boolean): Promise<void> {
  checkName(name);
  await updateUsers(path, (doc) => withUser(doc, { ...requireUser(doc, path, name), admin }));
}

export interface UsersFileOptions {
  /** Told when the file changed but could not be used; the previous accounts stay in force. */
  onWarning?: (message: string) => void;
  /** Told when a changed file was loaded. */
  onReload?: (message: string) => void;
  /** Least time (ms) between two looks at the file's metadata; 0 looks on every login. */
  recheckMs?: number;
}

function countUsers(n: number): string {
  return n === 1 ? '1 user' : `${n} users`;
}

function accountsOf(doc: UsersDoc): ReadonlyMap<string, UserEntry> {
  return new Map(doc.lines.flatMap((l) => (l.user ? [[nameKey(l.user.name), l.user] as const] : [])));
}

/**
 * The server's account store backed by the users file. Changes to the file are picked up without
 * a restart: on a login, at most once per `recheckMs`, the file's metadata is compared with the
 * version loaded (polling rather than fs.watch, which misses renames on some platforms and file
 * systems). A file that becomes unreadable or invalid keeps the last good accounts in force.
 */
export class UsersFile implements AccountStore {
  private users: ReadonlyMap<string, UserEntry>;
  /** The version last looked at, good or bad, so a bad version is reported once, not per login. */
  private seen: string;
  private lastCheck: number;
  private checking: Promise<void> | null = null;
  private readonly dummy = dummyHash();
  private readonly recheckMs: number;

  private constructor(readonly path: string, snapshot: Snapshot, private readonly options: UsersFileOptions) {
    this.users = accountsOf(snapshot.doc);
    this.seen = snapshot.signature;
    this.lastCheck = Date.now();
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  /** Reads and validates the file; throws UsersFileError with line-numbered problems. */
  static async load(path: string, options: UsersFileOptions = {}): Promise<UsersFile> {
    return new UsersFile(path, await readSnapshot(path), options);
  }

  get description(): string {
    return `accounts from ${this.path} (${countUsers(this.users.size)})`;
  }

  get size(): number {
    return this.users.size;
  }

  accountName(name: string): string | undefined {
    return this.users.get(nameKey(name))?.name;
  }

  async verify(name: string, password: string): Promise<Account | null> {
    await this.refresh();
    const user = this.users.get(nameKey(name));
    // An unknown name still costs one full scrypt, so timing does not tell whether it exists.
    const ok = await verifyParsed(password, user?.hash ?? this.dummy);
    return user !== undefined && ok ? { name: user.name, admin: user.admin } : null;
  }

  /**
   * Loads the file again if it changed since last looked at, or in any case with `force` (SIGHUP),
   * which also reports a bad file again. Never throws: problems are warnings.
   */
  async reload(force = false): Promise<void> {
    let current: string;
    try {
      current = signatureOf(await stat(this.path));
    } catch (err: unknown) {
      this.reject(`error:${fsReason(err)}`, `Cannot read ${this.path}: ${fsReason(err)}.`, force);
      return;
    }
    if (current === this.seen && !force) return;
    try {
      const snapshot = await readSnapshot(this.path);
      this.users = accountsOf(snapshot.doc);
      this.seen = snapshot.signature;
      this.options.onReload?.(`Reloaded ${this.description}.`);
    } catch (err: unknown) {
      this.reject(current, err instanceof Error ? err.message : String(err), force);
    }
  }

  /** SIGHUP: the file is read again whatever its metadata says. */
  reloadNow(): Promise<void> {
    // After any reload already running, so the two cannot finish in the wrong order.
    const pending = this.checking ?? Promise.resolve();
    return pending.then(() => this.reload(true));
  }

  private reject(version: string, problem: string, force: boolean): void {
    if (version === this.seen && !force) return;
    this.seen = version;
    this.options.onWarning?.(`${this.path} changed but cannot be used; keeping the previous ${countUsers(this.users.size)}.\n${problem}`);
  }

  /** Runs at most one reload at a time, and none within `recheckMs` of the last. */
  private refresh(): Promise<void> {
    if (this.checking) return this.checking;
    const now = Date.now();
    if (now - this.lastCheck < this.recheckMs) return Promise.resolve();
    this.lastCheck = now;
    this.checking = this.reload().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }
}
