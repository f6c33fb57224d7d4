import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../helpers/client.js';
import { startLocalRegistry } from '../helpers/local-registry.js';
import { WAIT_MS } from '../helpers/wait.js';

/**
 * The product as a user installs it: `npm pack` of a copy of the sources without dist/ (so the
 * package's prepack must build it), `npm install -g --prefix TMP` of the tarball, then the
 * installed `chat-server` and `chat-client` run from another directory: --help, a server on port 0
 * whose page and assets are fetched, a client that chats through it.
 *
 * Offline: the dependencies come from a registry on 127.0.0.1 built from this checkout's
 * node_modules (test/helpers/local-registry.ts), installed with --ignore-scripts, so
 * better-sqlite3's native build is the one already here rather than one made or downloaded by its
 * install script (on a real machine prebuild-install downloads it); an own npm cache keeps ~/.npm
 * out of it.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SKIP = spawnSync(NPM, ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('tar', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'npm or tar is missing';

/**
 * Runs a command to its end and resolves with its stdout; fails with its output if it exits
 * non-zero. Asynchronous: npm talks to the registry served by this very process.
 */
async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  assert.equal(code, 0, `${cmd} ${args.join(' ')} failed (${code ?? signal}):\n${stdout}\n${stderr}`);
  return stdout;
}

test('npm pack builds dist; npm install -g of the tarball gives chat-server and chat-client that work from any directory, page included', { skip: SKIP, timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'chatd-package-'));
  const registry = await startLocalRegistry(ROOT, join(work, 'registry'));
  try {
    // A checkout without dist/: only what git would have, node_modules linked (the dev tools prepack needs).
    const checkout = join(work, 'checkout');
    mkdirSync(checkout);
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'bin', 'scripts', 'src', 'deploy', 'docs']) {
      if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(checkout, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
    const npmEnv = { npm_config_cache: join(work, 'npm-cache'), npm_config_registry: registry.url, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    await run(NPM, ['pack', '--pack-destination', work], checkout, npmEnv);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');

    const prefix = join(work, 'prefix');
    await run(NPM, ['install', '-g', '--prefix', prefix, '--ignore-scripts', join(work, tarball)], work, npmEnv);
    const installed = join(prefix, 'lib', 'node_modules', 'chatd');
    // Built code and the page; no TypeScript sources, no tests.
    assert.ok(existsSync(join(installed, 'dist', 'src', 'server', 'main.js')));
    assert.ok(existsSync(join(installed, 'dist', 'web', 'index.html')));
    for (const absent of ['src', 'test', 'dist/test', 'tsconfig.json']) assert.ok(!existsSync(join(installed, absent)), `the package ships ${absent}`);

    // From a directory that has nothing of chatd in it.
    const elsewhere = mkdtempSync(join(tmpdir(), 'chatd-elsewhere-'));
    const server = join(prefix, 'bin', 'chat-server');
    const client = join(prefix, 'bin', 'chat-client');
    assert.match(await run(server, ['--help'], elsewhere), /--http-port/);
    assert.match(await run(client, ['--help'], elsewhere), /--port/);

    const proc = spawn(server, ['--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--irc-port', 'off'], { cwd: elsewhere, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const banner = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner after ${WAIT_MS} ms:\n${out}`)), WAIT_MS);
        proc.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (/^Web client on http:\/\/.*\n/m.test(out) && /^Accounts: /m.test(out)) {
            clearTimeout(timer);
            resolve(out);
          }
        });
        proc.once('exit', (code) => reject(new Error(`the installed server exited (${code}):\n${out}`)));
      });
      const port = Number(/^Chat server running on 127\.0\.0\.1:(\d+)$/m.exec(banner)![1]);
      const page = /^Web client on (http:\S+)$/m.exec(banner)![1]!;
      const html = await (await fetch(page)).text();
      const script = /<script type="module" src="(\/assets\/main-[A-Za-z0-9]+\.js)">/.exec(html)?.[1];
      const style = /<link rel="stylesheet" href="(\/assets\/style-[A-Za-z0-9]+\.css)">/.exec(html)?.[1];
      assert.ok(script && style, `the installed page does not load its bundles:\n${html}`);
      for (const asset of [script, style]) assert.equal((await fetch(new URL(asset, page))).status, 200, asset);
      assert.equal(await (await fetch(new URL('/readyz', page))).text(), 'ready\n');

      // The installed client chats through the installed server.
      const user2 = await TestClient.login(port, 'user2');
      const chat = spawn(client, ['--port', String(port), '--user', 'user1'], { cwd: elsewhere, env: { ...process.env, CHAT_PASSWORD: 'user1p' }, stdio: ['pipe', 'ignore', 'ignore'] });
      await user2.waitFor('user1 joined the chat.\n');
      chat.stdin.end('hello from the installed client\n');
      await user2.waitFor('user1: hello from the installed client\n');
      assert.equal((await once(chat, 'exit'))[0], 0);
      user2.destroy();
    } finally {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await once(proc, 'exit');
      rmSync(elsewhere, { recursive: true, force: true });
    }
  } finally {
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  }
});
