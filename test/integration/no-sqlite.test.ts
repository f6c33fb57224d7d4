import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failedStart, SERVER_MAIN, startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

// A machine where npm could not build better-sqlite3 (no prebuilt binary, no C++ toolchain): npm
// leaves the optional dependency out. Simulated with a copy of the built server beside a
// node_modules that has every installed package but better-sqlite3, so the server's own import of
// 'better-sqlite3' fails exactly as it does there (ERR_MODULE_NOT_FOUND), with nothing mocked.

/** The package root of this build: SERVER_MAIN is ROOT/dist/src/server/main.js. */
const ROOT = join(SERVER_MAIN, '..', '..', '..', '..');

function treeWithoutSqlite(): string {
  const root = mkdtempSync(join(tmpdir(), 'chat-no-sqlite-'));
  cpSync(join(ROOT, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  mkdirSync(join(root, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== 'better-sqlite3') symlinkSync(join(ROOT, 'node_modules', name), join(root, 'node_modules', name));
  }
  return root;
}

const tree = treeWithoutSqlite();
const main = join(tree, 'dist', 'src', 'server', 'main.js');
after(() => rmSync(tree, { recursive: true, force: true }));

test('without better-sqlite3 the server starts with history in memory and says once why --data-dir is unavailable', async () => {
  const server = await startServer([], {}, {}, main);
  try {
    const line = await server.waitForLog(/^History: /);
    assert.equal(
      line,
      'History: in memory, the last 1000 lines per room (--data-dir is unavailable: better-sqlite3, which it needs, could not be built here; install a C++ toolchain (Debian/Ubuntu: apt-get install build-essential python3) and run npm ci)',
    );
    const a = await TestClient.login(server.port, 'user1');
    a.send('kept in memory\n/history\n');
    await a.waitFor(/\[HISTORY [^\]]+\] user1: kept in memory\n\[SERVER\] End of history\.\n/);
    await a.exit();
  } finally {
    await server.stop();
  }
});

test('without better-sqlite3, --data-dir is one clear line naming what to install, exit 1, and no directory is made', async () => {
  const dir = join(tree, 'data');
  const { code, stderr } = await failedStart(['--data-dir', dir], main);
  assert.equal(code, 1);
  assert.equal(
    stderr,
    'chat-server: cannot start: --data-dir needs better-sqlite3, which is not installed (npm could not build it here); install a C++ toolchain (Debian/Ubuntu: apt-get install build-essential python3) and run npm ci, or leave out --data-dir to keep history in memory\n',
  );
  assert.equal(existsSync(dir), false);
});

test('without better-sqlite3, chat-server history export says the same, exit 1', async () => {
  const proc = spawn(process.execPath, [main, 'history', 'export', '--data-dir', join(tree, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout.resume();
  const [code] = (await once(proc, 'exit')) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /^chat-server history: --data-dir needs better-sqlite3, which is not installed .* run npm ci, or leave out --data-dir to keep history in memory\n$/);
});
