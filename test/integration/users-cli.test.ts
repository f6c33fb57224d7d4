import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_MAIN, startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { UsersFile } from '../../src/store/accounts/users-file.js';
import { editHidden } from '../../src/server/users-cli.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `chat-server users ARGS` as a real process. `stdin` is piped (so the CLI takes the password
 * from it, as in `echo secret | chat-server users add ...`); CHAT_USERS is unset unless given.
 */
function users(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { CHAT_USERS: _unset, ...base } = process.env;
  const proc = spawn(process.execPath, [SERVER_MAIN, 'users', ...args], {
    env: { ...base, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  proc.stdin.on('error', () => {});
  proc.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let counter = 0;
const fresh = (): string => join(dir, `users-${++counter}.txt`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'users-cli-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chat-server users: round trip', () => {
  it('adds, lists, changes passwords and admin rights, and removes', async () => {
    const file = fresh();
    assert.deepEqual(await users(['add', 'alice', '--users', file], 'secret\n'), { code: 0, stdout: 'Added user alice.\n', stderr: '' });
    assert.deepEqual(await users(['add', 'bob', '--admin', `--users=${file}`], 'hunter2\n'), { code: 0, stdout: 'Added admin bob.\n', stderr: '' });
    assert.deepEqual(await users(['list', '--users', file]), { code: 0, stdout: 'alice\nbob (admin)\n', stderr: '' });

    const text = await readFile(file, 'utf8');
    assert.doesNotMatch(text, /secret|hunter2/);
    assert.match(text, /^alice:scrypt\$[^\n]+\nbob:scrypt\$[^\n]+:admin\n$/);

    assert.deepEqual(await users(['passwd', 'alice', '--users', file], 'n3w pass\n'), { code: 0, stdout: 'Changed the password of alice.\n', stderr: '' });
    assert.deepEqual(await users(['admin', 'alice', 'on', '--users', file]), { code: 0, stdout: 'alice is now an admin.\n', stderr: '' });
    assert.deepEqual(await users(['admin', 'bob', 'off', '--users', file]), { code: 0, stdout: 'bob is no longer an admin.\n', stderr: '' });
    const store = await UsersFile.load(file);
    assert.deepEqual(await store.verify('alice', 'n3w pass'), { name: 'alice', admin: true });
    assert.equal(await store.verify('alice', 'secret'), null);
    assert.deepEqual(await store.verify('bob', 'hunter2'), { name: 'bob', admin: false });

    assert.deepEqual(await users(['remove', 'bob', '--users', file]), { code: 0, stdout: 'Removed user bob.\n', stderr: '' });
    assert.deepEqual(await users(['list', '--users', file]), { code: 0, stdout: 'alice (admin)\n', stderr: '' });
    assert.deepEqual(await users(['remove', 'alice', '--users', file]), { code: 0, stdout: 'Removed user alice.\n', stderr: '' });
    assert.deepEqual(await users(['list', '--users', file]), { code: 0, stdout: '', stderr: `No users in ${file}.\n` });
  });

  it('takes the file from CHAT_USERS and the password from the first line only, without CR', async () => {
    const file = fresh();
    const env = { CHAT_USERS: file };
    assert.equal((await users(['add', 'carol'], 'pw one\r\nignored\n', env)).code, 0);
    assert.equal((await users(['add', 'dave'], 'no newline', env)).code, 0);
    assert.equal((await users(['list'], '', env)).stdout, 'carol\ndave\n');
    const store = await UsersFile.load(file);
    assert.deepEqual(await store.verify('carol', 'pw one'), { name: 'carol', admin: false });
    assert.deepEqual(await store.verify('dave', 'no newline'), { name: 'dave', admin: false });
  });

  it('keeps comments when editing', async () => {
    const file = fresh();
    await writeFile(file, '# accounts for the team chat\n');
    assert.equal((await users(['add', 'erin', '--users', file], 'pw\n')).code, 0);
    assert.match(await readFile(file, 'utf8'), /^# accounts for the team chat\nerin:scrypt\$/);
  });
});

describe('chat-server users: failures exit 1', () => {
  let file: string;
  before(async () => {
    file = fresh();
    assert.equal((await users(['add', 'alice', '--users', file], 'secret\n')).code, 0);
  });

  const cases: Array<[string, () => string[], string, RegExp]> = [
    ['an invalid name', () => ['add', 'bad name', '--users', file], 'pw\n', /^Invalid user name "bad name": name may contain only letters, digits, _ and -\.\n$/],
    ['a name too long', () => ['add', 'x'.repeat(33), '--users', file], 'pw\n', /name is longer than 32 characters/],
    ['an existing name on add', () => ['add', 'alice', '--users', file], 'pw\n', /^User alice already exists in .*\.\n$/],
    ['a missing name on remove', () => ['remove', 'bob', '--users', file], '', /^No user bob in .*\.\n$/],
    ['a missing name on passwd', () => ['passwd', 'bob', '--users', file], 'pw\n', /^No user bob in .*\.\n$/],
    ['a missing name on admin', () => ['admin', 'bob', 'on', '--users', file], '', /^No user bob in .*\.\n$/],
    ['an empty password', () => ['add', 'bob', '--users', file], '\n', /^Password is empty\.\n$/],
    ['no password at all', () => ['passwd', 'alice', '--users', file], '', /^Password is empty\.\n$/],
    ['a password with surrounding spaces', () => ['add', 'bob', '--users', file], ' pw \n', /^Password must not begin or end with white space\.\n$/],
    ['a missing file on list', () => ['list', '--users', join(dir, 'absent.txt')], '', /^Cannot read .*absent\.txt: no such file\.\n$/],
    ['a directory as the file', () => ['list', '--users', dir], '', /^Cannot read .*: (not a regular file|it is a directory)\.\n$/],
    ['a file in a missing directory', () => ['add', 'bob', '--users', join(dir, 'nope', 'u.txt')], 'pw\n', /^Cannot write .*u\.txt: no such file\.\n$/],
  ];
  for (const [what, args, stdin, message] of cases) {
    it(`for ${what}`, async () => {
      const before = await readFile(file, 'utf8');
      const run = await users(args(), stdin);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
      assert.equal(await readFile(file, 'utf8'), before);
    });
  }

  it('for a corrupt file, naming the line, and leaves it untouched', async () => {
    const corrupt = fresh();
    const text = '# ok\nalice:scrypt$16384$8$1$short$hash\n\u0000\u00ff garbage\n';
    await writeFile(corrupt, text);
    for (const args of [['list'], ['add', 'bob'], ['remove', 'alice'], ['passwd', 'alice']]) {
      const run = await users([...args, '--users', corrupt], 'pw\n');
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `${corrupt}:2: bad hash format (salt is not base64)\n${corrupt}:3: expected NAME:HASH or NAME:HASH:admin\n`);
    }
    assert.equal(await readFile(corrupt, 'utf8'), text);
  });
});

describe('chat-server users: usage errors exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /^Missing command\.\nRun 'chat-server users --help' for usage\.\n$/],
    ['an unknown command', ['frob'], /^Unknown command "frob"\.\n/],
    ['a missing NAME', ['add', '--users', 'u.txt'], /^Missing NAME\.\nRun 'chat-server users add --help' for usage\.\n$/],
    ['an extra argument', ['remove', 'a', 'b', '--users', 'u.txt'], /^Unexpected argument "b"\./],
    ['an unknown option', ['list', '--frob'], /--frob/],
    ['--users without a value', ['list', '--users'], /--users/],
    ['no --users and no CHAT_USERS', ['list'], /^Missing --users FILE \(or set CHAT_USERS\)\./],
    ['--admin on another command', ['remove', 'a', '--admin', '--users', 'u.txt'], /^--admin goes only with add\./],
    ['admin without on or off', ['admin', 'a', 'yes', '--users', 'u.txt'], /^Expected on or off, not "yes"\./],
  ];
  for (const [what, args, message] of cases) {
    it(`for ${what}`, async () => {
      const run = await users(args);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
    });
  }
});

describe('chat-server users --help', () => {
  for (const args of [['--help'], ['-h'], ...['add', 'remove', 'list', 'passwd', 'admin'].map((c) => [c, '--help'])]) {
    it(`prints usage for ${args.join(' ')}`, async () => {
      const run = await users(args);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Usage: chat-server users /);
      assert.match(run.stdout, /--users FILE/);
    });
  }
});

describe('hidden password input', () => {
  it('ends on Enter and edits with Backspace and Ctrl-U', () => {
    assert.deepEqual(editHidden('', 'secret'), { value: 'secret' });
    assert.deepEqual(editHidden('sec', 'x\u007fret\r'), { value: 'secret', end: 'enter' });
    assert.deepEqual(editHidden('wrong', '\u0015ok\n'), { value: 'ok', end: 'enter' });
    assert.deepEqual(editHidden('p\u00e4', '\u007f\u007f\u007f'), { value: '' });
  });

  it('stops on Ctrl-C and ignores escape sequences and control keys', () => {
    assert.deepEqual(editHidden('abc', '\u0003'), { value: 'abc', end: 'interrupt' });
    assert.deepEqual(editHidden('abc', '\u001b[A'), { value: 'abc' });
    assert.deepEqual(editHidden('a', '\tb\u0001'), { value: 'ab' });
  });
});

describe('the server with a users file', () => {
  it('logs in an account made with the CLI and picks up a new one without a restart', async () => {
    const file = fresh();
    assert.equal((await users(['add', 'alice', '--users', file], 'secret\n')).code, 0);
    const server = await startServer(['--users', file]);
    try {
      await server.waitForLog(/accounts from .* \(1 user\)/);
      const alice = await TestClient.login(server.port, 'alice', 'secret');
      alice.close();

      const wrong = await TestClient.connect(server.port);
      await wrong.waitFor('Enter username: ');
      wrong.send('alice\n');
      await wrong.waitFor('Enter password: ');
      wrong.send('nope\n');
      await wrong.waitFor('Invalid credentials. Connection closed.\n');
      await wrong.waitClosed();

      assert.equal((await users(['add', 'bob', '--users', file], 'hunter2\n')).code, 0);
      // The server looks at the file at most once a second, so a login right away may still be
      // refused; retry a few times a second apart (fewer failures than the per-IP login throttle).
      for (let attempt = 1; ; attempt++) {
        try {
          (await TestClient.login(server.port, 'bob', 'hunter2')).close();
          break;
        } catch (err: unknown) {
          if (attempt === 3) throw err;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    } finally {
      await server.stop();
    }
  });
});
