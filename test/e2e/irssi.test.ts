import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

/**
 * A real IRC client against the IRC listener: Debian's irssi in tmux, typed into with send-keys and
 * read from the screen, chatting with a text-protocol user. Skipped where irssi or tmux is missing
 * (`apt-get install irssi tmux`).
 */

const run = promisify(execFile);
const MISSING = ['irssi', 'tmux'].filter((p) => spawnSync(p, ['--version']).error !== undefined);
const SKIP = MISSING.length === 0 ? false : `${MISSING.join(' and ')} not installed (apt-get install irssi tmux); skipping the irssi test`;

test('irssi: connects with -n user3 -w user3p, lands in #lobby, sees and answers a text user, /msg arrives privately', { skip: SKIP }, async () => {
  const server = await startServer(['--irc-port', '0', '--server-name', 'irc.test', '--notice-delay', '0']);
  const dir = mkdtempSync(join(tmpdir(), 'chat-irssi-'));
  const sock = join(dir, 'tmux');
  const tmux = (...args: string[]) => run('tmux', ['-S', sock, ...args]);
  /** Polls the screen until `re` shows (irssi redraws on its own schedule). */
  const waitScreen = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 20_000;
    let screen = '';
    while (Date.now() < deadline) {
      screen = (await tmux('capture-pane', '-p')).stdout;
      if (re.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`irssi never showed ${re}; screen:\n${screen}`);
  };
  const typeLine = async (text: string) => {
    await tmux('send-keys', '-l', text);
    await tmux('send-keys', 'Enter');
  };
  try {
    const line = await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /);
    const port = /:(\d+) /.exec(line)![1]!;
    const text = await TestClient.login(server.port, 'user1');
    await run('tmux', ['-f', '/dev/null', '-S', sock, 'new-session', '-d', '-x', '150', '-y', '40', `irssi --home='${dir}' -c 127.0.0.1 -p ${port} -n user3 -w user3p`], {
      env: { ...process.env, TERM: 'xterm-256color', TMUX: '' },
    });
    await text.waitFor('user3 joined the chat.\n', 20_000);
    await typeLine('/window goto #lobby');
    await waitScreen(/#lobby/);
    text.send('hello irssi\n');
    await waitScreen(/user1.*hello irssi/);
    await typeLine('hi from irssi');
    await text.waitFor('user3: hi from irssi\n', 20_000);
    await typeLine('/msg user1 just for you');
    await text.waitFor('[PRIVATE] user3: just for you\n', 20_000);
    text.send('@user3 back at you\n');
    await typeLine('/window goto user1');
    await waitScreen(/back at you/);
    await typeLine('/quit leaving');
    await text.waitFor('user3 left the chat.\n', 20_000);
    assert.ok(server.lines.some((l) => /^\[CONNECTED\] user3 /.test(l)));
    text.destroy();
  } finally {
    await run('tmux', ['-S', sock, 'kill-server']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
});
