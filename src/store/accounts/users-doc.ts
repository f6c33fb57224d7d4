import type { Account } from '../../core/accounts.js';
import { DEFAULTS } from '../../core/limits.js';
import { nameKey, nameProblem } from '../../core/names.js';
import { encodeHash, parseHash, type ScryptHash } from './password-hash.js';

/**
 * The hashed accounts file as text, shaped like /etc/shadow: one account a line,
 * `name:scrypt$N$r$p$salt$hash` or `name:scrypt$...:admin`; blank lines and lines starting with
 * `#` are kept as they are. Pure: parsing, formatting and the edits `chat-server users` makes,
 * which keep every other line (comments, order) untouched. Reading and writing the file is
 * users-file.ts.
 */

/** An account line longer than this is refused (a real one is under 300 characters). */
const MAX_ACCOUNT_LINE = 1024;
/** At most this many problems are listed in one error, so a binary file gives a readable message. */
const MAX_PROBLEMS_SHOWN = 10;

/** A file that cannot be read or parsed, or an edit that cannot be made. The message is for users. */
export class UsersFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shown.length;
    super(more > 0 ? [...shown, `... and ${more} more problems`].join('\n') : shown.join('\n'));
    this.name = 'UsersFileError';
  }
}

/** Throws a UsersFileError with one problem. */
export function fail(problem: string): never {
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

/** Throws when `name` cannot be an account's name. */
export function checkName(name: string): void {
  const bad = nameProblem(name);
  if (bad !== null) fail(`Invalid user name ${quote(name)}: ${asClause(bad)}.`);
}

/** The account `name`, or a UsersFileError naming `path`. */
export function requireUser(doc: UsersDoc, path: string, name: string): UserEntry {
  return findUser(doc, name) ?? fail(`No user ${name} in ${path}.`);
}

/** A UsersFileError naming `path` when `name` is an account already. */
export function refuseExisting(doc: UsersDoc, path: string, name: string): void {
  if (findUser(doc, name)) fail(`User ${name} already exists in ${path}.`);
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
