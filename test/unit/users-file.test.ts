import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { hashPassword, verifyPassword } from '../../src/store/accounts/password-hash.js';
import { UsersFileError, parseUsers, passwordProblem, listUsers } from '../../src/store/accounts/users-doc.js';
import { UsersFile, addUser, readUsers, removeUser, setAdmin, setPassword } from '../../src/store/accounts/users-file.js';

let dir: string;
let counter = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'users-file-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh path in the test directory, optionally written with `text`. */
async function usersPath(text?: string): Promise<string> {
  const path = join(dir, `users-${++counter}.txt`);
  if (text !== undefined) await writeFile(path, text);
  return path;
}

/** The problems a parse reports, or [] when it parses. */
function problemsOf(text: string, label = 'users.txt'): readonly string[] {
  try {
    parseUsers(text, label);
    return [];
  } catch (err: unknown) {
    assert.ok(err instanceof UsersFileError, `expected UsersFileError, got ${String(err)}`);
    return err.problems;
  }
}

describe('hashPassword / verifyPassword', () => {
  it('round-trips, in the documented format', async () => {
    const encoded = await hashPassword('secret');
    assert.match(encoded, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.equal(await verifyPassword('secret', encoded), true);
  });

  it('refuses a wrong password', async () => {
    const encoded = await hashPassword('secret');
    assert.equal(await verifyPassword('Secret', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('uses a new salt each time, so equal passwords give different hashes', async () => {
    const a = await hashPassword('same');
    const b = await hashPassword('same');
    assert.notEqual(a.split('$')[4], b.split('$')[4]);
    assert.notEqual(a, b);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const encoded = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword('cafe\u0301', encoded), true);
  });

  it('verifies hashes with other cost parameters and 64-byte keys', async () => {
    // Made with Python: hashlib.scrypt(b"pw", salt=bytes(range(16)), n=1024, r=8, p=1, dklen=64)
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from([...Array(16).keys()]);
    const key = scryptSync('pw', salt, 64, { N: 1024, r: 8, p: 1 });
    const encoded = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('pw', encoded), true);
    assert.equal(await verifyPassword('pX', encoded), false);
  });

  it('throws on a malformed hash instead of reading it as a wrong password', async () => {
    await assert.rejects(verifyPassword('x', 'bcrypt$2b$10$abc'), /Bad password hash/);
  });
});

describe('passwordProblem', () => {
  it('accepts ordinary passwords and refuses ones a client cannot send', () => {
    assert.equal(passwordProblem('correct horse battery staple'), null);
    assert.equal(passwordProblem('p\u00e4ss'), null);
    assert.equal(passwordProblem(''), 'Password is empty.');
    assert.match(passwordProblem(' lead') ?? '', /white space/);
    assert.match(passwordProblem('trail ') ?? '', /white space/);
    assert.match(passwordProblem('tab\there') ?? '', /control characters/);
    assert.match(passwordProblem('x'.repeat(5000)) ?? '', /longer than 4096 bytes/);
  });
});

describe('parseUsers', () => {
  let hash: string;
  before(async () => {
    hash = await hashPassword('pw');
  });

  it('reads accounts and the admin flag, skipping comments and blank lines', () => {
    const doc = parseUsers(`# staff\n\nalice:${hash}:admin\n  # indented comment\nbob:${hash}\n`, 'u');
    assert.deepEqual(listUsers(doc), [{ name: 'alice', admin: true }, { name: 'bob', admin: false }]);
  });

  it('accepts CRLF line endings, a byte order mark and no final newline', () => {
    const doc = parseUsers(`\uFEFFalice:${hash}\r\nbob:${hash}`, 'u');
    assert.deepEqual(listUsers(doc).map((u) => u.name), ['alice', 'bob']);
  });

  it('reports each bad line with its number', () => {
    const text = [
      '# comment',
      `alice:${hash}`,
      'bob',
      `bad name:${hash}`,
      'carol:bcrypt$2b$10$xyz',
      `dave:${hash.replace('16384', '1000')}`,
      `erin:${hash.slice(0, -2)}!=`,
      `frank:${hash}:root`,
      `alice:${hash}`,
      `${'x'.repeat(33)}:${hash}`,
      `gina:${hash}:admin:extra`,
    ].join('\n');
    assert.deepEqual(problemsOf(text), [
      'users.txt:3: expected NAME:HASH or NAME:HASH:admin',
      'users.txt:4: bad user name "bad name": name may contain only letters, digits, _ and -',
      'users.txt:5: bad hash format (only scrypt hashes are supported)',
      'users.txt:6: bad hash format (N must be a power of two from 2 to 1048576)',
      'users.txt:7: bad hash format (hash is not base64)',
      'users.txt:8: unknown flag "root" (the only flag is admin)',
      'users.txt:9: duplicate user alice (also on line 2)',
      'users.txt:10: bad user name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": name is longer than 32 characters',
      'users.txt:11: expected NAME:HASH or NAME:HASH:admin',
    ]);
  });

  it('refuses hashes whose cost would exhaust memory', () => {
    const [, , , , salt, key] = hash.split('$');
    assert.match(problemsOf(`a:scrypt$1048576$32$1$${salt}$${key}`)[0] ?? '', /256 MiB/);
    assert.match(problemsOf(`a:scrypt$16384$8$99$${salt}$${key}`)[0] ?? '', /p must be/);
    assert.match(problemsOf(`a:scrypt$16384$8$1$AAAA$${key}`)[0] ?? '', /salt must be 16 to 64 bytes/);
  });

  it('gives a short, escaped message for a very long line', () => {
    const problems = problemsOf(`${'A'.repeat(100_000)}:${hash}`);
    assert.deepEqual(problems, ['users.txt:1: line is too long (over 1024 characters)']);
  });

  it('lists at most ten problems in the message', () => {
    const err = (() => {
      try {
        parseUsers('junk\n'.repeat(25), 'u');
      } catch (e: unknown) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof UsersFileError);
    assert.equal(err.problems.length, 25);
    const lines = err.message.split('\n');
    assert.equal(lines.length, 11);
    assert.equal(lines[10], '... and 15 more problems');
  });

  it('never crashes on arbitrary text: it parses or names a line', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
      for (const p of problemsOf(text)) assert.match(p, /^users\.txt:\d+: \S/);
    }), { numRuns: 300 });
  });

  it('never crashes on arbitrary bytes decoded as UTF-8', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
      for (const p of problemsOf(Buffer.from(bytes).toString('utf8'))) assert.match(p, /^users\.txt:\d+: /);
    }), { numRuns: 300 });
  });

  it('never crashes on near-misses of a valid line', () => {
    const field = fc.oneof(fc.constant(hash), fc.constant('admin'), fc.constant(''), fc.string({ maxLength: 20 }));
    fc.assert(fc.property(fc.array(field, { maxLength: 5 }), fc.constantFrom(':', '$'), (fields, sep) => {
      for (const p of problemsOf(`alice:${fields.join(sep)}`)) assert.match(p, /^users\.txt:1: /);
    }), { numRuns: 300 });
  });
});

describe('UsersFile', () => {
  it('logs in known users with the right password, with their admin flag', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', true);
    await addUser(path, 'bob', 'hunter2', false);
    const store = await UsersFile.load(path);
    assert.equal(store.description, `accounts from ${path} (2 users)`);
    assert.deepEqual(await store.verify('alice', 'secret'), { name: 'alice', admin: true });
    assert.deepEqual(await store.verify('bob', 'hunter2'), { name: 'bob', admin: false });
  });

  it('refuses wrong passwords and unknown names; a name in another case is the account, spelt as in the file', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    const store = await UsersFile.load(path);
    assert.equal(store.description, `accounts from ${path} (1 user)`);
    assert.equal(await store.verify('alice', 'wrong'), null);
    assert.equal(await store.verify('mallory', 'secret'), null);
    assert.deepEqual(await store.verify('ALICE', 'secret'), { name: 'alice', admin: false });
    assert.equal(await store.verify('Alice', 'wrong'), null);
    assert.equal(store.accountName('aLiCe'), 'alice');
    assert.equal(store.accountName('mallory'), undefined);
    // ASCII only (CASEMAPPING=ascii): the Kelvin sign is not a k.
    assert.equal(store.accountName('\u212alice'), undefined);
    assert.equal(await store.verify('', ''), null);
  });

  it('refuses a second spelling of a name, in the file and in `users add`', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    await assert.rejects(addUser(path, 'ALICE', 'other', false), /User ALICE already exists/);
    const line = (await readFile(path, 'utf8')).trim();
    assert.throws(() => parseUsers(`${line}\n${line.replace(/^alice/, 'Alice')}\n`, 'users.txt'), /users\.txt:2: duplicate user Alice \(also on line 1\)/);
    await removeUser(path, 'Alice');
    assert.equal((await readFile(path, 'utf8')).trim(), '');
  });

  it('refuses to load a missing, binary or invalid file with a clear message', async () => {
    await assert.rejects(UsersFile.load(join(dir, 'absent.txt')), (err: unknown) =>
      err instanceof UsersFileError && /^Cannot read .*absent\.txt: no such file\.$/.test(err.message));
    const { randomBytes } = await import('node:crypto');
    const binary = await usersPath();
    await writeFile(binary, randomBytes(4096));
    await assert.rejects(UsersFile.load(binary), (err: unknown) =>
      err instanceof UsersFileError && err.problems.every((p) => p.startsWith(`${binary}:`)));
    await assert.rejects(UsersFile.load(dir), (err: unknown) =>
      err instanceof UsersFileError && /not a regular file|it is a directory/.test(err.message));
  });

  it('picks up a changed file without a restart', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'one', false);
    const reloads: string[] = [];
    const store = await UsersFile.load(path, { recheckMs: 0, onReload: (m) => reloads.push(m) });
    await addUser(path, 'bob', 'two', false);
    await setPassword(path, 'alice', 'three');
    assert.deepEqual(await store.verify('bob', 'two'), { name: 'bob', admin: false });
    assert.equal(await store.verify('alice', 'one'), null);
    assert.deepEqual(await store.verify('alice', 'three'), { name: 'alice', admin: false });
    assert.deepEqual(reloads, [`Reloaded accounts from ${path} (2 users).`]);
    await setAdmin(path, 'bob', true);
    assert.deepEqual(await store.verify('bob', 'two'), { name: 'bob', admin: true });
    await removeUser(path, 'bob');
    assert.equal(await store.verify('bob', 'two'), null);
  });

  it('keeps the last good accounts when the file turns invalid or vanishes, and warns once', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    const warnings: string[] = [];
    const store = await UsersFile.load(path, { recheckMs: 0, onWarning: (m) => warnings.push(m) });
    const good = await readFile(path, 'utf8');

    await writeFile(path, `${good}broken line\n`);
    assert.deepEqual(await store.verify('alice', 'secret'), { name: 'alice', admin: false });
    assert.deepEqual(await store.verify('alice', 'secret'), { name: 'alice', admin: false });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /changed but cannot be used; keeping the previous 1 user\.\n.*:2: expected NAME:HASH/);

    await unlink(path);
    assert.deepEqual(await store.verify('alice', 'secret'), { name: 'alice', admin: false });
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /no such file/);

    await writeFile(path, good.replace('alice', 'bob'));
    assert.deepEqual(await store.verify('bob', 'secret'), { name: 'bob', admin: false });
    assert.equal(await store.verify('alice', 'secret'), null);
    assert.equal(warnings.length, 2);
  });

  it('looks at the file at most once per recheck interval', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    const store = await UsersFile.load(path, { recheckMs: 3_600_000 });
    await addUser(path, 'bob', 'two', false);
    assert.equal(await store.verify('bob', 'two'), null);
    await store.reload();
    assert.deepEqual(await store.verify('bob', 'two'), { name: 'bob', admin: false });
  });
});

describe('editing the file', () => {
  it('creates a missing file with mode 0600', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.match(await readFile(path, 'utf8'), /^alice:scrypt\$16384\$8\$1\$[^:\n]+\n$/);
  });

  it('keeps comments, blank lines and the order of other lines', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'a', false);
    await addUser(path, 'bob', 'b', false);
    const [aliceLine, bobLine] = (await readFile(path, 'utf8')).trimEnd().split('\n');
    await writeFile(path, `# Chat accounts\n\n${aliceLine}\n  # bob is on leave\n${bobLine}\n# end\n`);

    await addUser(path, 'carol', 'c', true);
    await setAdmin(path, 'alice', true);
    await setPassword(path, 'bob', 'b2');
    await removeUser(path, 'carol');
    await addUser(path, 'dave', 'd', false);

    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.deepEqual(lines.map((l) => l.replace(/scrypt\$[^:]+/, 'H')), [
      '# Chat accounts', '', 'alice:H:admin', '  # bob is on leave', 'bob:H', '# end', 'dave:H', '',
    ]);
    assert.equal(lines[2], `${aliceLine}:admin`);
    assert.notEqual(lines[4], bobLine);
    const store = await UsersFile.load(path);
    assert.deepEqual(await store.verify('bob', 'b2'), { name: 'bob', admin: false });
  });

  it('keeps the mode of an existing file and leaves no temporary files behind', async () => {
    const path = await usersPath('# team\n');
    await chmod(path, 0o640);
    await addUser(path, 'alice', 'secret', false);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    const leftovers = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  it('refuses bad edits with plain messages and leaves the file as it was', async () => {
    const path = await usersPath();
    await addUser(path, 'alice', 'secret', false);
    const before = await readFile(path, 'utf8');
    await assert.rejects(addUser(path, 'alice', 'x', false), { message: `User alice already exists in ${path}.` });
    await assert.rejects(addUser(path, 'a b', 'x', false), { message: 'Invalid user name "a b": name may contain only letters, digits, _ and -.' });
    await assert.rejects(addUser(path, 'bob', '', false), { message: 'Password is empty.' });
    await assert.rejects(removeUser(path, 'bob'), { message: `No user bob in ${path}.` });
    await assert.rejects(setPassword(path, 'bob', 'x'), { message: `No user bob in ${path}.` });
    await assert.rejects(setAdmin(path, 'bob', true), { message: `No user bob in ${path}.` });
    assert.equal(await readFile(path, 'utf8'), before);
  });

  it('refuses to edit a corrupt file rather than rewriting it', async () => {
    const path = await usersPath('alice\n');
    await assert.rejects(addUser(path, 'bob', 'x', false), { message: `${path}:1: expected NAME:HASH or NAME:HASH:admin` });
    assert.equal(await readFile(path, 'utf8'), 'alice\n');
    await assert.rejects(readUsers(path), UsersFileError);
  });
});
