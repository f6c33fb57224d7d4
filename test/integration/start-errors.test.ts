import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedStart, startServer } from '../helpers/server.js';

// A server that cannot start says why in one line that names the option, and exits 1: nothing on
// stdout, nothing twice, no raw errno or SQLite text.

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'chat-start-'));
}

const root = process.getuid?.() === 0;

/**
 * Makes `path` unwritable for this process: chmod for an ordinary user; for root, whom permissions
 * do not stop (CI runs as root), the immutable flag. False when neither can be done here.
 */
function makeReadOnly(path: string, mode: number): boolean {
  if (!root) {
    chmodSync(path, mode);
    return true;
  }
  return spawnSync('chattr', ['+i', path]).status === 0;
}

function makeWritable(path: string, mode: number): void {
  if (root) spawnSync('chattr', ['-i', path]);
  else chmodSync(path, mode);
}

/** Expects a refused start: exit 1, `line` alone on stderr, and nothing on stdout. */
async function refused(args: string[], line: string | RegExp): Promise<void> {
  const { code, stderr, stdout } = await failedStart(args);
  assert.equal(code, 1, stderr);
  if (typeof line === 'string') assert.equal(stderr, `${line}\n`);
  else assert.match(stderr, line);
  assert.equal(stdout, '');
}

test('--data-dir under a file, or a chat.db that is a directory: one line each, exit 1', async () => {
  const base = tempDir();
  try {
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    await refused(['--data-dir', join(file, 'data')], `chat-server: cannot start: --data-dir ${join(file, 'data')}: cannot create it: ${file} is a file, not a directory`);
    const dir = join(base, 'db-is-a-dir');
    mkdirSync(join(dir, 'chat.db'), { recursive: true });
    await refused(['--data-dir', dir], `chat-server: cannot start: --data-dir ${dir}: ${join(dir, 'chat.db')} is not a file`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a --data-dir this user cannot write in, or below one: one line each, exit 1 (SQLite would say "unable to open database file")', async (t: TestContext) => {
  const base = tempDir();
  const dir = join(base, 'locked');
  mkdirSync(dir);
  try {
    if (!makeReadOnly(dir, 0o555)) return t.skip('cannot make a directory read-only for root here (chattr +i failed)');
    try {
      await refused(['--data-dir', dir], `chat-server: cannot start: --data-dir ${dir}: cannot write in this directory (permission denied); make it writable or choose another --data-dir`);
      await refused(['--data-dir', join(dir, 'sub')], `chat-server: cannot start: --data-dir ${join(dir, 'sub')}: cannot create it: ${dir} is not writable (permission denied)`);
    } finally {
      makeWritable(dir, 0o755);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a read-only chat.db: one line, exit 1 (SQLite would say "disk I/O error")', async (t: TestContext) => {
  const dir = tempDir();
  const db = join(dir, 'chat.db');
  try {
    const first = await startServer(['--data-dir', dir]);
    assert.equal(await first.stop(), 0);
    if (!makeReadOnly(db, 0o444)) return t.skip('cannot make a file read-only for root here (chattr +i failed)');
    try {
      await refused(['--data-dir', dir], `chat-server: cannot start: --data-dir ${dir}: ${db} is read-only (permission denied); make it writable or choose another --data-dir`);
    } finally {
      makeWritable(db, 0o644);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port in use names its option, once, exit 1: --port, and --http-port and --irc-port given explicitly', async () => {
  const busy = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const port = (busy.address() as { port: number }).port;
  try {
    await refused(['--port', String(port)], `chat-server: cannot start: --port ${port} is in use; choose another with --port`);
    await refused(['--http-port', String(port)], `chat-server: cannot start: --http-port ${port} is in use; choose another with --http-port`);
    await refused(['--irc-port', String(port)], `chat-server: cannot start: --irc-port ${port} is in use; choose another with --irc-port`);
  } finally {
    busy.close();
  }
});

test('a missing --config file is one line without the raw ENOENT text, exit 1; a bad option stays exit 2', async () => {
  const dir = tempDir();
  try {
    const missing = join(dir, 'missing.json');
    await refused(['--config', missing], `chat-server: cannot read --config ${missing}: no such file`);
    await refused(['--config', dir], `chat-server: cannot read --config ${dir}: it is a directory`);
    const usage = await failedStart(['--no-such-option']);
    assert.equal(usage.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
