import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_MAIN, startServer } from '../helpers/server.js';

/**
 * Regression tests for input checks of the client, bench and simulate command lines: each bad
 * input fails early with one clear line and the documented exit status, and garbage of every kind
 * is refused the same way. Everything runs as real processes.
 */

const CLIENT_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'client', 'main.js');

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `node main args...` to its exit; a process still running after `timeoutMs` is killed (code null). */
function run(main: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['CHAT_PASSWORD', 'CHAT_HOST', 'CHAT_PORT']) delete base[k];
  const p = spawn(process.execPath, [main, ...args], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  p.stdin.on('error', () => {});
  p.stdin.end();
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  // 'close' rather than 'exit': by then both output pipes have been read to their end.
  return once(p, 'close').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, stdout, stderr };
  });
}

/** The lines of `text` (without the final empty one after the last LF). */
function lines(text: string): string[] {
  return text.split('\n').slice(0, -1);
}

const tmp = mkdtempSync(join(tmpdir(), 'small-defects-'));
const servers: Server[] = [];

after(() => {
  for (const s of servers) s.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A listening socket that never speaks and counts who connects: where the client must not go. */
async function silentListener(): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const srv = createServer((sock) => { n++; sock.on('error', () => {}); });
  servers.push(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: (srv.address() as AddressInfo).port, connections: () => n };
}

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, 'close');
  return port;
}

// ---- chat-client --user ------------------------------------------------------------------------

const BAD_NAMES = [
  'bad name', 'x'.repeat(33), 'é', 'user1!', 'a.b', 'a/b', 'a\u001b[2Jb', 'a\u009b31mb', 'tab\there', 'line\nbreak', 'cr\rx',
  '名前', '😀', 'user1 user2', "'; DROP TABLE users; --",
];

test('chat-client refuses an invalid --user with one line and exit 2, without connecting', async () => {
  const target = await silentListener();
  for (const name of BAD_NAMES) {
    const r = await run(CLIENT_MAIN, ['--port', String(target.port), '--user', name], { CHAT_PASSWORD: 'x' }, 10_000);
    const what = JSON.stringify(name);
    assert.equal(r.code, 2, `${what}: exit code; stderr:\n${r.stderr}`);
    assert.deepEqual(lines(r.stderr), [
      `chat-client: --user: ${name.length > 32 ? 'Name is longer than 32 characters.' : 'Name may contain only letters, digits, _ and -.'}`,
      "Try 'chat-client --help'.",
    ], what);
    assert.equal(r.stdout, '', what);
  }
  assert.equal(target.connections(), 0, 'the client never connected');
});

test('chat-client: --user is trimmed and checked as the server does; the server still decides on valid names', async () => {
  const server = await startServer();
  try {
    const ok = await run(CLIENT_MAIN, ['--port', String(server.port), '--user', ' user1 '], { CHAT_PASSWORD: 'user1p' }, 10_000);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Welcome user1! Type 'exit' to leave\.\n/);
    // 32 characters passes the local check, so the login reaches the server, which refuses it.
    const long = await run(CLIENT_MAIN, ['--port', String(server.port), '--user', 'x'.repeat(32)], { CHAT_PASSWORD: 'nope' }, 10_000);
    assert.equal(long.code, 1, long.stderr);
    assert.match(long.stderr, /Invalid credentials\. Connection closed\./);
    for (const blank of ['', '   ']) {
      const r = await run(CLIENT_MAIN, ['--port', String(server.port), '--user', blank], {}, 10_000);
      assert.equal(r.code, 2);
      assert.equal(lines(r.stderr)[0], 'chat-client: --user must not be empty.');
    }
  } finally {
    await server.stop();
  }
});

// ---- chat-server bench: number options ---------------------------------------------------------

/** Runs bench so that, were an option wrongly accepted, the run fails fast instead of loading a server. */
function bench(args: string[]): Promise<Run> {
  return run(SERVER_MAIN, ['bench', ...args, '--no-save', '--workers', '1']);
}

const BAD_LISTS = ['5,,6', ',5', '5,', ',', '', ' ', '5,x', '5, ,6', '1.5', '5,1.5', '1e3', '0x10', '-1', '+5', '5;6', '5 6',
  'Infinity', 'NaN', '0', '1,0', Array(51).fill('1').join(','), '٣', '5\n6'];

test('bench: a malformed --clients or --steps list is refused, naming the option, with exit 2', async () => {
  const refused = `tcp://127.0.0.1:${await closedPort()}`;
  for (const [scenario, flag, max] of [['room', '--clients', '100000'], ['firehose', '--steps', '10000000']] as const) {
    for (const value of [...BAD_LISTS, max === '100000' ? '100001' : '10000001']) {
      const r = await bench([scenario, '--target', refused, flag, value, '--duration', '0.1', '--step-duration', '0.1', '--warmup', '0']);
      const what = `${flag} ${JSON.stringify(value)}`;
      assert.equal(r.code, 2, `${what}: exit code; stderr:\n${r.stderr}`);
      assert.deepEqual(lines(r.stderr), [`chat-server bench: ${flag} wants 1 to 50 comma-separated whole numbers from 1 to ${max}, got ${JSON.stringify(value)}`], what);
      assert.equal(r.stdout, '', what);
    }
  }
});

test('bench: single number options refuse empty, non-decimal and, where whole, fractional values', async () => {
  const refused = `tcp://127.0.0.1:${await closedPort()}`;
  const cases: Array<[string, string, string]> = [
    ['--drain', '', 'a number from 0 to 600'],
    ['--warmup', ' ', 'a number from 0 to 600'],
    ['--rate', '0x10', 'a number from 0.1 to 10000000'],
    ['--duration', '1e1', 'a number from 0.1 to 3600'],
    ['--max-p99', 'Infinity', 'a number from 0 to 600000'],
    ['--workers', '1.5', 'a whole number from 1 to 64'],
    ['--concurrency', '', 'a whole number from 1 to 100000'],
    ['--rooms', ' ', 'a whole number from 0 to 100000'],
    ['--count', '1e3', 'a whole number from 1 to 100000000'],
    ['--senders', '-1', 'a whole number from 1 to 100000'],
  ];
  for (const [flag, value, wants] of cases) {
    const r = await bench(['room', '--target', refused, flag, value]);
    assert.equal(r.code, 2, `${flag} ${JSON.stringify(value)}: exit code; stderr:\n${r.stderr}`);
    assert.deepEqual(lines(r.stderr), [`chat-server bench: ${flag} wants ${wants}, got ${JSON.stringify(value)}`]);
  }
});

test('bench: a well-formed list with spaces around its items still runs one point per count', async () => {
  const r = await bench(['room', '--target', 'reference', '--clients', ' 3, 4 ', '--rate', '20', '--duration', '0.5', '--warmup', '0', '--drain', '5', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const points = (JSON.parse(r.stdout) as { result: { points: Array<{ clients: number }> } }).result.points;
  assert.deepEqual(points.map((p) => p.clients), [3, 4]);
});

// ---- chat-server bench: no client logged in -------------------------------------------------------

test('bench exits 1 with one clear line when no client can log in (wrong password, refusing target)', async () => {
  const server = await startServer();
  const refused = `tcp://127.0.0.1:${await closedPort()}`;
  try {
    const wrongPass = `tcp://127.0.0.1:${server.port}`;
    const runs: Array<[string, string[], RegExp]> = [
      [wrongPass, ['room', '--clients', '3', '--pass-pattern', 'wrong{i}'], /first failure: client \d+: Invalid credentials\. Connection closed\.$/],
      [refused, ['room', '--clients', '2'], /first failure: client \d+: connect ECONNREFUSED /],
      [refused, ['firehose', '--clients', '2', '--steps', '10'], /first failure: client \d+: connect ECONNREFUSED /],
      [refused, ['idle', '--clients', '2'], /first failure: client \d+: connect ECONNREFUSED /],
      [refused, ['logins', '--concurrency', '2', '--count', '4'], /first failure: client \d+: connect ECONNREFUSED /],
    ];
    for (const [target, args, why] of runs) {
      const r = await bench([...args, '--target', target, '--duration', '1', '--step-duration', '0.5', '--warmup', '0', '--json']);
      const what = `bench ${args.join(' ')} --target ${target}`;
      assert.equal(r.code, 1, `${what}: exit code; stderr:\n${r.stderr}`);
      const errLines = lines(r.stderr);
      assert.equal(errLines.length, 1, `${what}: one line on stderr:\n${r.stderr}`);
      assert.ok(errLines[0]!.startsWith(`chat-server bench: no client could log in to ${target}; `), `${what}: ${errLines[0]}`);
      assert.match(errLines[0]!, why, what);
      assert.equal(r.stdout, '', `${what}: no report for a run that measured nothing`);
    }
    const cmp = await bench(['compare', 'room', '--target', 'reference', '--target', refused, '--clients', '2', '--duration', '0.3', '--warmup', '0', '--drain', '2']);
    assert.equal(cmp.code, 1, cmp.stderr);
    assert.match(cmp.stderr, new RegExp(`^chat-server bench: no client could log in to ${refused}; `, 'm'));
  } finally {
    await server.stop();
  }
});

// ---- chat-server simulate --out ------------------------------------------------------------------

/** A short simulation: were --out wrongly accepted, the run would end quickly and show it. */
function simulate(out: string): Promise<Run> {
  return run(SERVER_MAIN, ['simulate', '--fast', '2', '--slow', '0', '--frozen', '0', '--duration', '1', '--out', out]);
}

/** A directory this process cannot write to, or null (root may write anywhere that is not read-only). */
function unwritableDir(): string | null {
  const dir = join(tmp, 'read-only');
  mkdirSync(dir);
  chmodSync(dir, 0o555);
  for (const candidate of [dir, '/proc/sys']) {
    try {
      accessSync(candidate, constants.W_OK);
    } catch {
      return candidate;
    }
  }
  return null;
}

test('simulate checks --out before running: extension, directory, writability; one line, exit 2', async (t) => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  const aDir = join(tmp, 'is-a-dir.svg');
  mkdirSync(aDir);
  const ro = unwritableDir();
  const cases: Array<[string, string]> = [
    [join(tmp, 'chart.png'), 'must end in .svg or .html (the chart formats simulate writes), got'],
    [join(tmp, 'chart'), 'must end in .svg or .html'],
    [join(tmp, 'chart.svg.txt'), 'must end in .svg or .html'],
    [join(tmp, 'chart.json'), 'must end in .svg or .html'],
    [join(tmp, 'chart.csv'), 'must end in .svg or .html'],
    ['', 'must end in .svg or .html'],
    [join(tmp, '.svg'), 'must end in .svg or .html'],
    [join(tmp, 'chart.svg\n'), 'must end in .svg or .html'],
    [join(tmp, 'no-such-dir', 'chart.svg'), `directory ${JSON.stringify(join(tmp, 'no-such-dir'))} does not exist`],
    [join(tmp, 'no', 'such', 'chart.html'), 'does not exist'],
    [join(file, 'chart.svg'), `${JSON.stringify(file)} is not a directory`],
    [join(file, 'deeper', 'chart.svg'), 'does not exist'],
    [aDir, 'is a directory'],
  ];
  if (ro !== null) cases.push([join(ro, 'chart.svg'), `directory ${JSON.stringify(ro)} is not writable`]);
  for (const [out, problem] of cases) {
    const r = await simulate(out);
    const what = `--out ${JSON.stringify(out)}`;
    assert.equal(r.code, 2, `${what}: exit code; stderr:\n${r.stderr}`);
    const errLines = lines(r.stderr);
    assert.equal(errLines.length, 1, `${what}: one line on stderr:\n${r.stderr}`);
    assert.ok(errLines[0]!.startsWith(`chat-server simulate: ${what}`) || errLines[0]!.startsWith('chat-server simulate: --out must end in'), `${what}: ${errLines[0]}`);
    assert.ok(errLines[0]!.includes(problem), `${what}: ${errLines[0]}`);
    assert.equal(r.stdout, '', `${what}: the simulation did not start`);
  }
  assert.deepEqual(readdirSync(tmp).sort(), ['a-file', 'is-a-dir.svg', 'read-only'], 'nothing was written');
  if (ro === null) t.diagnostic('not checked: a directory this user cannot write to (root can write anywhere that is not read-only)');
});

test('simulate writes .html as a page and accepts the extension in any case', async () => {
  const out = join(tmp, 'CHART.HTML');
  const r = await simulate(out);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>\n[\s\S]*<svg [\s\S]*<\/html>\n$/);
  rmSync(out);
});
