import { parseArgs } from 'node:util';
import type { ReadStream } from 'node:tty';
import { DEFAULTS } from '../core/limits.js';
import { UsersFileError, listUsers, passwordProblem } from '../store/accounts/users-doc.js';
import { addUser, checkUser, readUsers, removeUser, setAdmin, setPassword } from '../store/accounts/users-file.js';

/**
 * `chat-server users ...`: manages the hashed accounts file the server reads with --users FILE.
 * Exit codes: 0 done, 1 the request failed (bad name, missing account, bad file, ...),
 * 2 the command line is wrong, 130 interrupted at a password prompt.
 */

const PROG = 'chat-server users';

const PASSWORD_NOTE = `The password is read from the terminal without echo (asked twice), or as one
line from standard input when that is not a terminal.`;

const MAIN_HELP = `Usage: ${PROG} COMMAND [ARGS] --users FILE

Manages the accounts file the server reads with --users FILE.

Commands:
  add NAME [--admin]   add an account (creates FILE if it does not exist)
  remove NAME          remove an account
  list                 list the accounts and which are admins
  passwd NAME          change the password of an account
  admin NAME on|off    give or take admin rights

Options:
  --users FILE         the accounts file (default: $CHAT_USERS)
  -h, --help           show this help; '${PROG} COMMAND --help' for one command

${PASSWORD_NOTE}

Examples:
  ${PROG} add alice --admin --users users.txt
  printf '%s\\n' "$PASSWORD" | ${PROG} add bob --users users.txt
  ${PROG} list --users users.txt

Exit status: 0 done, 1 failed, 2 wrong usage.
`;

class UsageError extends Error {
  /** The command whose --help to point at, when the mistake is within one command. */
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}
/** Ctrl-C at a password prompt. */
class Interrupted extends Error {}

interface Request {
  readonly file: string;
  readonly args: readonly string[];
  readonly admin: boolean;
}

interface Command {
  /** The positional arguments, by name, as shown in the usage line. */
  readonly args: readonly string[];
  readonly usage: string;
  readonly summary: string;
  run(req: Request): Promise<void>;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const COMMANDS: Record<string, Command> = {
  add: {
    args: ['NAME'],
    usage: 'add NAME [--admin] --users FILE',
    summary: `Adds an account. FILE is created (mode 0600) if it does not exist.\n--admin makes the account an admin.\n\n${PASSWORD_NOTE}`,
    async run({ file, args: [name = ''], admin }) {
      await checkUser(file, name, false);
      await addUser(file, name, await readNewPassword(), admin);
      say(`Added ${admin ? 'admin' : 'user'} ${name}.`);
    },
  },
  remove: {
    args: ['NAME'],
    usage: 'remove NAME --users FILE',
    summary: 'Removes an account. A session that is logged in stays until it ends.',
    async run({ file, args: [name = ''] }) {
      await removeUser(file, name);
      say(`Removed user ${name}.`);
    },
  },
  list: {
    args: [],
    usage: 'list --users FILE',
    summary: 'Lists the accounts, one a line, admins marked "(admin)". Never shows hashes.',
    async run({ file }) {
      const users = listUsers(await readUsers(file));
      for (const u of users) say(u.admin ? `${u.name} (admin)` : u.name);
      if (users.length === 0) process.stderr.write(`No users in ${file}.\n`);
    },
  },
  passwd: {
    args: ['NAME'],
    usage: 'passwd NAME --users FILE',
    summary: `Changes the password of an account (with a new salt).\n\n${PASSWORD_NOTE}`,
    async run({ file, args: [name = ''] }) {
      await checkUser(file, name, true);
      await setPassword(file, name, await readNewPassword());
      say(`Changed the password of ${name}.`);
    },
  },
  admin: {
    args: ['NAME', 'on|off'],
    usage: 'admin NAME on|off --users FILE',
    summary: 'Gives (on) or takes (off) admin rights. Takes effect at the next login.',
    async run({ file, args: [name = '', state = ''] }) {
      if (state !== 'on' && state !== 'off') throw new UsageError(`Expected on or off, not ${JSON.stringify(state)}.`, 'admin');
      await setAdmin(file, name, state === 'on');
      say(state === 'on' ? `${name} is now an admin.` : `${name} is no longer an admin.`);
    },
  },
};

function commandHelp(cmd: Command): string {
  return `Usage: ${PROG} ${cmd.usage}\n\n${cmd.summary}\n\n--users FILE defaults to $CHAT_USERS.\n`;
}

interface Parsed {
  readonly positionals: string[];
  readonly users: string | undefined;
  readonly admin: boolean;
  readonly help: boolean;
}

function parse(argv: string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        users: { type: 'string' },
        admin: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    return { positionals, users: values.users, admin: values.admin === true, help: values.help === true };
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Checks the command line of one command; returns what it needs to run. */
function request(name: string, cmd: Command, parsed: Parsed, args: string[]): Request {
  if (parsed.admin && name !== 'add') throw new UsageError('--admin goes only with add.', name);
  if (args.length < cmd.args.length) throw new UsageError(`Missing ${cmd.args[args.length]}.`, name);
  if (args.length > cmd.args.length) throw new UsageError(`Unexpected argument ${JSON.stringify(args[cmd.args.length])}.`, name);
  const file = parsed.users ?? process.env['CHAT_USERS'] ?? '';
  if (file === '') throw new UsageError('Missing --users FILE (or set CHAT_USERS).', name);
  return { file, args, admin: parsed.admin };
}

async function dispatch(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  const [name, ...args] = parsed.positionals;
  if (name === undefined) {
    if (parsed.help) {
      process.stdout.write(MAIN_HELP);
      return 0;
    }
    throw new UsageError('Missing command.');
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) throw new UsageError(`Unknown command ${JSON.stringify(name)}.`);
  if (parsed.help) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  await cmd.run(request(name, cmd, parsed, args));
  return 0;
}

export async function runUsersCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err: unknown) {
    if (err instanceof UsageError) {
      const help = err.command === undefined ? `${PROG} --help` : `${PROG} ${err.command} --help`;
      process.stderr.write(`${err.message}\nRun '${help}' for usage.\n`);
      return 2;
    }
    if (err instanceof UsersFileError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof Interrupted) return 130;
    throw err;
  }
}

/** Asks for a new password: twice without echo on a terminal, else one line from stdin. */
async function readNewPassword(): Promise<string> {
  const password = process.stdin.isTTY ? await askTwice() : await readStdinLine();
  const bad = passwordProblem(password);
  if (bad !== null) throw new UsersFileError([bad]);
  return password;
}

async function askTwice(): Promise<string> {
  const first = await readHidden('Password: ');
  if (passwordProblem(first) !== null) return first;
  const second = await readHidden('Repeat password: ');
  if (first !== second) throw new UsersFileError(['Passwords do not match.']);
  return first;
}

/**
 * The first line of standard input without its line ending ('' when stdin is empty). Reading stops
 * past a protocol line's length, so endless input without a newline is refused as too long.
 */
async function readStdinLine(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > DEFAULTS.maxLine) break;
  }
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/** What a chunk of raw terminal input does to a hidden password being typed. */
export interface HiddenInput {
  readonly value: string;
  /** 'enter' when the line is finished, 'interrupt' on Ctrl-C; absent while typing goes on. */
  readonly end?: 'enter' | 'interrupt';
}

/**
 * Applies raw-mode key presses to `value`: Enter (or Ctrl-D) ends, Ctrl-C interrupts, Backspace
 * deletes one character, Ctrl-U clears; escape sequences (arrow keys) and other control keys are
 * ignored rather than becoming part of the password.
 */
export function editHidden(value: string, chunk: string): HiddenInput {
  let chars = [...value];
  for (const ch of chunk) {
    if (ch === '\r' || ch === '\n' || ch === '\u0004') return { value: chars.join(''), end: 'enter' };
    if (ch === '\u0003') return { value: chars.join(''), end: 'interrupt' };
    if (ch === '\u001b') break;
    if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
    else if (ch === '\u0015') chars = [];
    else if (!/\p{Cc}/u.test(ch)) chars.push(ch);
  }
  return { value: chars.join('') };
}

/** Prompts on stderr and reads one line from the terminal with echo off. */
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin as ReadStream;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: string): void => {
      const step = editHidden(value, chunk);
      value = step.value;
      if (step.end === undefined) return;
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (step.end === 'interrupt') reject(new Interrupted());
      else resolve(value);
    };
    input.on('data', onData);
  });
}
