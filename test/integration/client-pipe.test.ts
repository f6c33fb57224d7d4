import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type ServerProc } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { WAIT_MS } from '../helpers/wait.js';
import { makeCert, type TestCert } from '../helpers/certs.js';

/** The compiled client entry (tests run from dist/test/...). */
const CLIENT_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'client', 'main.js');

/** The client as a child process with piped stdio, recording what it prints. */
class ClientProc {
  readonly proc: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const base = { ...process.env };
    delete base['CHAT_PASSWORD'];
    delete base['CHAT_HOST'];
    delete base['CHAT_PORT'];
    this.proc = spawn(process.execPath, [CLIENT_MAIN, ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.wake(); });
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.wake(); });
    this.proc.stdin.on('error', () => {});
    this.exited = once(this.proc, 'exit').then(([code]) => code as number | null);
    void this.exited.then(() => this.wake());
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves once `text` has appeared on the given stream. */
  async waitFor(text: string, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this[stream].includes(text)) {
      const left = deadline - Date.now();
      if (!this.running || left <= 0) {
        throw new Error(`client never printed ${JSON.stringify(text)} on ${stream}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Resolves with the exit code; fails the test if the client is still running after `timeoutMs`. */
  async exitCode(timeoutMs = WAIT_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`client did not exit; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}

const WELCOME1 = "Welcome user1! Type 'exit' to leave.\n";

let server: ServerProc;
let cert: TestCert;
let tlsPort: number;
const clients: ClientProc[] = [];
const raw: TestClient[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'chat-client-test-'));

function client(args: string[], env: NodeJS.ProcessEnv = {}): ClientProc {
  const c = new ClientProc(args, env);
  clients.push(c);
  return c;
}

async function rawLogin(port: number, user: string): Promise<TestClient> {
  const c = await TestClient.login(port, user);
  raw.push(c);
  return c;
}

before(async () => {
  cert = makeCert();
  server = await startServer(['--tls-port', '0', '--tls-cert', cert.cert, '--tls-key', cert.key]);
  const banner = await server.waitForLog(/^TLS on 127\.0\.0\.1:\d+$/);
  tlsPort = Number(/:(\d+)$/.exec(banner)![1]);
});

after(async () => {
  for (const c of clients) c.kill();
  for (const c of raw) c.destroy();
  await server.stop();
  cert.remove();
  rmSync(tmp, { recursive: true, force: true });
});

test('pipe mode: stdin lines are sent, server lines are printed, end of input leaves cleanly', async () => {
  const user2 = await rawLogin(server.port, 'user2');
  const c = client(['--port', String(server.port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  await c.waitFor(WELCOME1);
  await user2.waitFor('user1 joined the chat.\n');
  c.proc.stdin.write('hello\n');
  await user2.waitFor('user1: hello\n');
  user2.send('hi back\n');
  user2.send('/me waves\n');
  await c.waitFor('user2: hi back\n* user2 waves\n');
  c.proc.stdin.end();
  assert.equal(await c.exitCode(), 0);
  await user2.waitFor('user1 left the chat.\n');
  assert.ok(!c.stdout.includes('Enter username'), 'login prompts are not printed in pipe mode');
  assert.ok(c.stdout.startsWith(WELCOME1), c.stdout);
  await user2.exit(); // a later test logs in as user2 again
});

test('pipe mode: typing exit leaves at once with exit code 0', async () => {
  const c = client(['--port', String(server.port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  await c.waitFor(WELCOME1);
  c.proc.stdin.write('exit\n');
  assert.equal(await c.exitCode(), 0);
  assert.equal(c.stderr, '');
});

test('pipe mode: without --user the first input lines answer the login prompts', async () => {
  const user2 = await rawLogin(server.port, 'user2');
  const passwordFile = join(tmp, 'password');
  writeFileSync(passwordFile, 'user3p\n');
  const c = client(['--port', String(server.port), '--password-file', passwordFile]);
  c.proc.stdin.write('user3\nfrom three\n');
  await user2.waitFor('user3: from three\n');
  c.proc.stdin.end();
  assert.equal(await c.exitCode(), 0);
  assert.ok(c.stdout.startsWith("Welcome user3! Type 'exit' to leave.\n"), c.stdout);
  await user2.exit(); // a later test logs in as user2 again
});

test('a refused login prints the reason and exits 1', async () => {
  const c = client(['--port', String(server.port), '--user', 'user4'], { CHAT_PASSWORD: 'wrong' });
  assert.equal(await c.exitCode(), 1);
  assert.match(c.stderr, /^Invalid credentials\. Connection closed\.$/m);
});

test('a server that goes away ends the client with the lost-connection message and exit 1', async () => {
  const own = await startServer();
  try {
    const c = client(['--port', String(own.port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
    await c.waitFor(WELCOME1);
    await own.stop('SIGKILL');
    assert.equal(await c.exitCode(), 1);
    assert.match(c.stderr, /^Connection to server lost\.$/m);
  } finally {
    await own.stop('SIGKILL');
  }
});

test('bad options exit 2 with a clear message; --help and --version exit 0', async () => {
  const bad = client(['--port', 'nope']);
  assert.equal(await bad.exitCode(), 2);
  assert.match(bad.stderr, /--port must be a port number from 1 to 65535 \(got "nope"\)/);
  assert.match(bad.stderr, /Try 'chat-client --help'/);
  const unknown = client(['--colour']);
  assert.equal(await unknown.exitCode(), 2);
  assert.match(unknown.stderr, /--colour/);
  const help = client(['--help']);
  assert.equal(await help.exitCode(), 0);
  for (const option of ['--host', '--port', '--user', '--password-file', '--tls', '--ca', '--insecure', '--no-color', '--version']) {
    assert.ok(help.stdout.includes(option), `--help mentions ${option}`);
  }
  const version = client(['--version']);
  assert.equal(await version.exitCode(), 0);
  assert.match(version.stdout, /^chat-client \d+\.\d+\.\d+/);
});

test('an unreachable server exits 1 with the reason', async () => {
  const own = await startServer();
  const port = own.port;
  await own.stop();
  const c = client(['--port', String(port), '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  assert.equal(await c.exitCode(), 1);
  assert.match(c.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
});

test('TLS: --ca trusts the server certificate; without it the handshake is refused; --insecure skips the check', async () => {
  const user2 = await rawLogin(server.port, 'user2');
  const secure = client(['--host', 'localhost', '--port', String(tlsPort), '--tls', '--ca', cert.cert, '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  await secure.waitFor(WELCOME1);
  secure.proc.stdin.end('over tls\n');
  await user2.waitFor('user1: over tls\n');
  assert.equal(await secure.exitCode(), 0);

  const untrusted = client(['--host', 'localhost', '--port', String(tlsPort), '--tls', '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  assert.equal(await untrusted.exitCode(), 1);
  assert.match(untrusted.stderr, /cannot connect to localhost:\d+: .*certificate/);

  const insecure = client(['--port', String(tlsPort), '--tls', '--insecure', '--user', 'user1'], { CHAT_PASSWORD: 'user1p' });
  await insecure.waitFor(WELCOME1);
  insecure.proc.stdin.end();
  assert.equal(await insecure.exitCode(), 0);
  await user2.exit();
});
