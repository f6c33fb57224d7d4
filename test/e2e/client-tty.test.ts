import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WAIT_MS, waitUntil } from '../helpers/wait.js';

/**
 * The client in a real pseudo-terminal: tmux runs it, send-keys types, capture-pane reads the
 * screen as a person would see it.
 */

const run = promisify(execFile);
const CLIENT_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'client', 'main.js');
const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SKIP = HAVE_TMUX ? false : 'tmux is not installed (CI installs it); skipping the terminal client tests';

/** One tmux server on its own socket, running the client; the shell prints `[exit N]` when it ends. */
class Terminal {
  /** The socket lives in a fresh directory, removed on close, so no test leaves one behind. */
  private readonly dir = mkdtempSync(join(tmpdir(), 'chat-tmux-'));
  private readonly socket = join(this.dir, 'socket');

  static async open(clientArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<Terminal> {
    const t = new Terminal();
    const quoted = [process.execPath, CLIENT_MAIN, ...clientArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const base = { ...process.env };
    for (const name of ['NO_COLOR', 'CHAT_PASSWORD', 'CHAT_HOST', 'CHAT_PORT', 'TMUX']) delete base[name];
    // The sleep keeps the pane, and so the last screen and the exit status, readable after the client ends.
    try {
      await run('tmux', ['-f', '/dev/null', '-S', t.socket, 'new-session', '-d', '-x', '120', '-y', '30', `${quoted}; echo "[exit $?]"; sleep 60`], {
        env: { ...base, TERM: 'xterm-256color', ...env },
      });
    } catch (err: unknown) {
      await t.close();
      throw err;
    }
    return t;
  }

  private tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-S', this.socket, ...args]);
  }

  /** Types text literally (no key names). */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-l', text);
  }

  /** Types a line and presses Enter. */
  async typeLine(text: string): Promise<void> {
    await this.type(text);
    await this.press('Enter');
  }

  /** Presses keys by tmux name, e.g. Enter, C-c. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', ...keys);
  }

  /** The visible screen; `escapes` keeps colour codes. Trailing blank lines are dropped. */
  async screen(escapes = false): Promise<string> {
    const { stdout } = await this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []));
    return stdout.replace(/\n+$/, '');
  }

  async cursor(): Promise<{ x: number; y: number }> {
    const [x, y] = (await this.format('#{cursor_x} #{cursor_y}')).split(' ').map(Number);
    return { x: x!, y: y! };
  }

  /** A tmux format expanded for the pane, e.g. `#{pane_title}`. */
  async format(spec: string): Promise<string> {
    const { stdout } = await this.tmux('display-message', '-p', spec);
    return stdout.trim();
  }

  /** Waits until the screen contains `text`; returns the screen. */
  async waitFor(text: string, timeoutMs = WAIT_MS): Promise<string> {
    let screen = '';
    // tmux has no event for a screen change: look every 50 ms (each look runs tmux).
    await waitUntil(async () => (screen = await this.screen()).includes(text), () => `screen never showed ${JSON.stringify(text)}; screen:\n${screen}`, { timeoutMs, everyMs: 50 });
    return screen;
  }

  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a server and a terminal, runs `body`, and always cleans both up. */
async function withTerminal(clientArgs: (port: number) => string[], env: NodeJS.ProcessEnv, body: (t: Terminal, server: ServerProc) => Promise<void>): Promise<void> {
  const server = await startServer();
  let terminal: Terminal | undefined;
  try {
    terminal = await Terminal.open(clientArgs(server.port), env);
    await body(terminal, server);
  } finally {
    await terminal?.close();
    await server.stop('SIGKILL');
  }
}

/** Logs in as user1 by typing at the prompts. */
async function typeLogin(t: Terminal): Promise<void> {
  await t.waitFor('Enter username:');
  await t.typeLine('user1');
  await t.waitFor('Enter password:');
  await t.typeLine('user1p');
  await t.waitFor("Welcome user1! Type 'exit' to leave.");
}

test('typed login hides the password; incoming lines leave the half-typed line intact; exit leaves', { skip: SKIP }, async () => {
  await withTerminal((port) => ['--port', String(port)], {}, async (t, server) => {
    await typeLogin(t);
    let screen = await t.screen();
    assert.match(screen, /^Enter username: user1$/m);
    assert.ok(!screen.includes('user1p'), `password shown on screen:\n${screen}`);

    const other = await TestClient.login(server.port, 'user2');
    try {
      await t.waitFor('user2 joined the chat.');
      await t.type('half typed');
      await t.press('Left', 'Left');
      await t.waitFor('> half typed');
      // The screen shows the text before the client has handled the two Lefts: wait for the cursor
      // to stand two columns before the end of the typed text, or `before` may be read too early.
      await waitUntil(async () => (await t.cursor()).x === '> half typed'.length - 2, () => 'the cursor never moved left twice', { everyMs: 50 });
      const before = await t.cursor();

      other.send('clear \x1b[2J\x1b]0;title\x07 attempt\n');
      other.send('second line\n');
      screen = await t.waitFor('user2: second line');
      assert.ok(screen.includes("Welcome user1! Type 'exit' to leave."), `earlier lines are gone:\n${screen}`);
      assert.ok(!screen.includes('[2J'), screen);
      const lines = screen.split('\n');
      assert.equal(lines.at(-1), '> half typed', screen);
      assert.equal(lines.at(-2), 'user2: second line', screen);
      const after = await t.cursor();
      assert.deepEqual(after, { x: before.x, y: before.y + 2 }, 'cursor stays at the same place in the typed text');

      await t.press('End');
      await t.typeLine(' and more');
      await other.waitFor('user1: half typed and more\n');

      await t.typeLine('exit');
      await t.waitFor('[exit 0]');
      await other.waitFor('user1 left the chat.\n');
    } finally {
      other.destroy();
    }
  });
});

/** The colour codes a captured line starts with (empty when it starts uncoloured). */
function leadingStyle(line: string): string {
  return /^(?:\x1b\[[0-9;]*m)*/.exec(line)![0];
}

test('each line kind has its own colour on a terminal, and none with NO_COLOR or --no-color', { skip: SKIP }, async () => {
  const modes = [
    { noColor: false, flags: [], env: {} },
    { noColor: true, flags: [], env: { NO_COLOR: '1' } },
    { noColor: true, flags: ['--no-color'], env: {} },
  ];
  for (const { noColor, flags, env } of modes) {
    await withTerminal((port) => ['--port', String(port), '--user', 'user1', ...flags], { CHAT_PASSWORD: 'user1p', ...env }, async (t, server) => {
      await t.waitFor('Welcome user1!');
      const other = await TestClient.login(server.port, 'user2');
      try {
        await t.waitFor('user2 joined the chat.');
        other.send('@user1 psst\n');
        other.send('hello all\n');
        other.send('/me waves\n');
        await t.waitFor('* user2 waves');
        await t.typeLine('@nobody hi');
        await t.waitFor('[SERVER] User nobody not online.');
        const lines = (await t.screen(true)).split('\n');
        const styleOf = (text: string): string => leadingStyle(lines.find((l) => l.replace(/\x1b\[[0-9;]*m/g, '').startsWith(text))!);
        const styles = ['user2 joined the chat.', '[PRIVATE] user2: psst', 'user2: hello all', '* user2 waves', '[SERVER] User nobody'].map(styleOf);
        if (noColor) assert.deepEqual(styles, ['', '', '', '', ''], `no colour with ${JSON.stringify({ flags, env })}`);
        else {
          assert.ok(styles.every((st) => st !== ''), JSON.stringify(styles));
          assert.equal(new Set(styles).size, styles.length, `kinds share a style: ${JSON.stringify(styles)}`);
        }
      } finally {
        other.destroy();
      }
    });
  }
});

test('Ctrl-C leaves cleanly with exit status 0', { skip: SKIP }, async () => {
  await withTerminal((port) => ['--port', String(port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' }, async (t) => {
    await t.waitFor('Welcome user1!');
    await t.type('unsent');
    await t.press('C-c');
    await t.waitFor('[exit 0]');
  });
});

test('a server that goes away is reported and the client exits 1', { skip: SKIP }, async () => {
  await withTerminal((port) => ['--port', String(port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' }, async (t, server) => {
    await t.waitFor('Welcome user1!');
    await server.stop('SIGKILL');
    const screen = await t.waitFor('[exit 1]');
    assert.match(screen, /^Connection to server lost\.$/m);
  });
});

test('escape sequences from a hostile server are shown harmless, not obeyed', { skip: SKIP }, async () => {
  // A stand-in server that, unlike the real one, passes control characters through: it shows that
  // the client's own sanitising protects the terminal whatever the server does.
  const conns: Socket[] = [];
  const fake = createServer((conn) => {
    conns.push(conn);
    conn.setEncoding('utf8');
    conn.write('Enter username: ');
    let answers = 0;
    conn.on('data', (d: string) => {
      const before = answers;
      answers += d.split('\n').length - 1;
      if (before < 1 && answers >= 1) conn.write('Enter password: ');
      if (before < 2 && answers >= 2) {
        conn.write("Welcome user1! Type 'exit' to leave.\n");
        conn.write('mallory: wipe\x1b[2J\x1b[H\x1b]2;pwned\x07 done\n');
        conn.write('mallory: ok\r[SERVER] forged\x1b[31m red\u009b1m\n');
      }
    });
  });
  fake.listen(0, '127.0.0.1');
  await once(fake, 'listening');
  const address = fake.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const t = await Terminal.open(['--port', String(port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  try {
    const screen = await t.waitFor('[SERVER] forged red');
    const lines = screen.split('\n');
    assert.equal(lines[0], "Welcome user1! Type 'exit' to leave.", `screen was cleared:\n${screen}`);
    assert.equal(lines[1], 'mallory: wipe done');
    assert.equal(lines[2], 'mallory: ok[SERVER] forged red', 'a CR cannot start a forged line');
    assert.notEqual(await t.format('#{pane_title}'), 'pwned');
    const coloured = (await t.screen(true)).split('\n')[2]!;
    assert.ok(!coloured.includes('\x1b[31m'), `server colours reached the terminal: ${JSON.stringify(coloured)}`);
  } finally {
    await t.close();
    for (const c of conns) c.destroy();
    fake.close();
  }
});
