import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Account, AccountStore } from './accounts.js';
import { DEFAULTS } from './limits.js';
import { nameKey, nameProblem } from './names.js';
import { dummyHash, encodeHash, hashPassword, parseHash, verifyParsed, type ScryptHash } from './users-file-hash.js';
import { fsReason, hasErrorCode, writeFileAtomic } from './users-file-io.js';

export { hashPassword, verifyPassword, SCRYPT_DEFAULTS } from './users-file-hash.js';

/**
 * The hashed accounts file, shaped like /etc/shadow: one account a line,
 * `name:scrypt$N$r$p$salt$hash` or `name:scrypt$...:admin`; blank lines and lines starting with
 * `#` are kept as they are. The server reads it through UsersFile; `chat-server users` edits it
 * through the functions below, which keep every other line (comments, order) untouched.
 */

/** A file larger than this is refused: a users file is a few KiB, anything else is a wrong path. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** An account line longer than this is refused (a real one is under 300 characters). */
const MAX_ACCOUNT_LINE = 1024;
/** At most this many problems are listed in one error, so a binary file gives a readable message. */
const MAX_PROBLEMS_SHOWN = 10;
/** How often (ms) the server looks at the file's metadata for changes, at most. */
const DEFAULT_RECHECK_MS = 1000;

/** A file that cannot be read or parsed, or an edit that cannot be made. The message is for users. */
export class UsersFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shown.length;
    super(more > 0 ? [...shown, `... and ${more} more problems`].join('\n') : shown.join('\n'));
    this.name = 'UsersFileError';
  }
}

function fail(problem: string): never {
  throw new UsersFileError([problem]);
}

export interface UserEntry extends Account {
  readonly hash: ScryptHash;
}

interface DocLine {
  /** The line as written, without its line ending. */
  readonly text: string;
  /** Set on account lines; comments and blank lines have none. */
  readonly user?: UserEntry;
}

/** A parsed users file that remembers every line, so an edit rewrites only the line it changes. */
export interface UsersDoc {
  readonly lines: readonly DocLine[];
}

/** Quotes a piece of a bad line for an error message: escaped and cut short. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** "Name is empty." -> "name is empty", to continue a sentence. */
function asClause(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1).replace(/\.$/, '');
}

/** Parses one account line (already trimmed); returns a phrase saying what is wrong when it cannot. */
function parseAccountLine(line: string): UserEntry | string {
  if (line.length > MAX_ACCOUNT_LINE) return `line is too long (over ${MAX_ACCOUNT_LINE} characters)`;
  const fields = line.split(':');
  if (fields.length < 2 || fields.length > 3) return 'expected NAME:HASH or NAME:HASH:admin';
  const [name, encoded, flag] = fields as [string, string, string | undefined];
  const bad = nameProblem(name);
  if (bad !== null) return `bad user name ${quote(name)}: ${asClause(bad)}`;
  const hash = parseHash(encoded);
  if (typeof hash === 'string') return `bad hash format (${hash})`;
  if (flag !== undefined && flag !== 'admin') return `unknown flag ${quote(flag)} (the only flag is admin)`;
  return { name, admin: flag === 'admin', hash };
}

/**
 * Parses the text of a users file. `label` (usually the path) starts each problem, compiler
 * style: `users.txt:3: bad hash format (...)`. Throws UsersFileError listing every bad line.
 */
export function parseUsers(text: string, label: string): UsersDoc {
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (raw[raw.length - 1] === '') raw.pop();
  const lines: DocLine[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  raw.forEach((textLine, i) => {
    const trimmed = textLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      lines.push({ text: textLine });
      return;
    }
    const user = parseAccountLine(trimmed);
    // Names are case-insensitive: User1 and user1 are one account, so a second spelling is a duplicate.
    const first = typeof user === 'string' ? undefined : seen.get(nameKey(user.name));
    if (typeof user === 'string') problems.push(`${label}:${i + 1}: ${user}`);
    else if (first !== undefined) problems.push(`${label}:${i + 1}: duplicate user ${user.name} (also on line ${first})`);
    else seen.set(nameKey(user.name), i + 1);
    lines.push(typeof user === 'string' ? { text: textLine } : { text: textLine, user });
  });
  if (problems.length > 0) throw new UsersFileError(problems);
  return { lines };
}

/** The file's text: the kept lines, each ended by LF. */
export function formatUsers(doc: UsersDoc): string {
  return doc.lines.map((l) => `${l.text}\n`).join('');
}

export function findUser(doc: UsersDoc, name: string): UserEntry | undefined {
  const key = nameKey(name);
  return doc.lines.find((l) => l.user !== undefined && nameKey(l.user.name) === key)?.user;
}

/** Every account in file order, without hashes. */
export function listUsers(doc: UsersDoc): Account[] {
  return doc.lines.flatMap((l) => (l.user ? [{ name: l.user.name, admin: l.user.admin }] : []));
}

/** Sets `user` in place of the line with the same name, or appends it. */
export function withUser(doc: UsersDoc, user: UserEntry): UsersDoc {
  const line: DocLine = { text: `${user.name}:${encodeHash(user.hash)}${user.admin ? ':admin' : ''}`, user };
  const key = nameKey(user.name);
  const at = doc.lines.findIndex((l) => l.user !== undefined && nameKey(l.user.name) === key);
  if (at < 0) return { lines: [...doc.lines, line] };
  return { lines: doc.lines.map((l, i) => (i === at ? line : l)) };
}

export function withoutUser(doc: UsersDoc, name: string): UsersDoc {
  const key = nameKey(name);
  return { lines: doc.lines.filter((l) => l.user === undefined || nameKey(l.user.name) !== key) };
}

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

function checkName(name: string): void {
  const bad = nameProblem(name);
  if (bad !== null) fail(`Invalid user name ${quote(name)}: ${asClause(bad)}.`);
}

function requireUser(doc: UsersDoc, path: string, name: string): UserEntry {
  return findUser(doc, name) ?? fail(`No user ${name} in ${path}.`);
}

function refuseExisting(doc: UsersDoc, path: string, name: string): void {
  if (findUser(doc, name)) fail(`User ${name} already exists in ${path}.`);
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

/**
 * Returns null when `password` can be used, else a sentence saying why not. Refused: passwords a
 * client could not send as typed (white space at either end is stripped by the seed's client,
 * control characters are not typeable at the prompt) or longer than a protocol line.
 */
export function passwordProblem(password: string): string | null {
  if (password === '') return 'Password is empty.';
  if (password.trim() !== password) return 'Password must not begin or end with white space.';
  if (/\p{Cc}/u.test(password)) return 'Password must not contain control characters.';
  if (Buffer.byteLength(password, 'utf8') > DEFAULTS.maxLine) return `Password is longer than ${DEFAULTS.maxLine} bytes.`;
  return null;
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
