import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SERVER_MAIN, startServer } from '../helpers/server.js';
import { ircDaemonAvailable } from '../../src/bench/irc-daemons.js';
import { hasRedis, startRedis } from '../helpers/redis.js';

/**
 * Seconds-long smoke of every bench scenario against the bench's reference server, our server and
 * Redis (when installed). Correctness only, no timing thresholds: the counts add up, nothing is lost
 * where the target is lossless at this load, and the JSON has the documented schema.
 */

interface Run { code: number | null; stdout: string; stderr: string }

function bench(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [SERVER_MAIN, 'bench', ...args, '--json', '--no-save', '--workers', '2'], {
      env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

type Json = Record<string, unknown>;

/** Each command must exit 2 (bad usage) with its message matching. */
async function usageErrors(cases: Array<[string[], RegExp]>): Promise<void> {
  for (const [args, why] of cases) {
    const r = await bench(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
  }
}

async function report(args: string[]): Promise<Json> {
  const r = await bench(args);
  assert.equal(r.code, 0, `bench ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as Json;
  assert.equal(j['schema'], 'chat-bench/1');
  return j;
}

function obj(v: unknown, what: string): Json {
  assert.ok(typeof v === 'object' && v !== null, `${what} is an object`);
  return v as Json;
}

function checkRun(j: Json, scenario: string, target: string): Json {
  assert.equal(j['kind'], 'run');
  assert.equal(obj(j['target'], 'target')['name'], target);
  const m = obj(j['machine'], 'machine');
  assert.equal(typeof m['nproc'], 'number');
  assert.equal(typeof m['cpuModel'], 'string');
  assert.equal(typeof j['date'], 'string');
  assert.ok(Array.isArray(j['problems']));
  const r = obj(j['result'], 'result');
  assert.equal(r['scenario'], scenario);
  return r;
}

/** A send phase's counts must add up: expected = sent × receivers; lossless ⇒ all delivered, once. */
function checkPoint(p: Json, receivers: number, lossless: boolean): void {
  const sent = p['sent'] as number;
  assert.ok(sent > 0, 'messages were sent');
  assert.equal(sent, Math.round((p['offeredRate'] as number) * (p['durationS'] as number)), 'the measured phase only (no warm-up traffic)');
  assert.equal(p['expected'], sent * receivers);
  assert.equal(p['extra'], 0, 'no duplicates');
  assert.equal((p['delivered'] as number) + (p['lost'] as number), p['expected']);
  if (lossless) assert.equal(p['lost'], 0, 'no loss');
  const lat = obj(p['latency'], 'latency');
  for (const k of ['p50Ms', 'p99Ms', 'maxMs', 'count']) assert.equal(typeof lat[k], 'number');
  assert.equal(lat['count'], p['delivered']);
}

// A short warm-up still runs its own phase: the measured counts below must not include it.
const ROOM = ['--clients', '40', '--rate', '200', '--duration', '1', '--drain', '5', '--warmup', '0.5'];

function suite(target: string, echo: boolean): void {
  const recv = (n: number): number => (echo ? n : n - 1);

  test(`bench room against ${target}`, async () => {
    const j = await report(['room', '--target', target, ...ROOM]);
    const r = checkRun(j, 'room', target);
    assert.equal(j['ok'], true, String(j['problems']));
    assert.equal(r['warmupS'], 0.5);
    const points = r['points'] as Json[];
    assert.equal(points.length, 1);
    assert.equal(points[0]!['clients'], 40);
    checkPoint(points[0]!, recv(40), true);
    assert.equal(obj(points[0]!['logins'], 'logins')['ok'], 40);
  });

  test(`bench firehose against ${target}`, async () => {
    const j = await report(['firehose', '--target', target, '--clients', '20', '--senders', '4', '--steps', '200,400', '--step-duration', '1', '--warmup', '0.5', '--keep-going', '--max-p99', '60000']);
    const r = checkRun(j, 'firehose', target);
    assert.equal(r['warmupS'], 0.5);
    const steps = r['steps'] as Json[];
    assert.equal(steps.length, 2);
    for (const s of steps) { checkPoint(s, recv(20), true); assert.equal(s['senders'], 4); }
    assert.equal(r['best'], 400);
  });

  test(`bench idle against ${target}`, async () => {
    const j = await report(['idle', '--target', target, '--clients', '100', '--duration', '1']);
    const r = checkRun(j, 'idle', target);
    assert.equal(r['alive'], 100);
    assert.deepEqual(r['closed'], {}, 'no logged-in connection closed, so no reasons');
    assert.equal(typeof r['rssEmptyKiB'], 'number', 'the bench knows its own target pid');
    assert.equal(typeof r['rssPerConnKiB'], 'number');
  });

  test(`bench logins against ${target}`, async () => {
    const j = await report(['logins', '--target', target, '--concurrency', '10', '--count', '200', '--duration', '20']);
    const r = checkRun(j, 'logins', target);
    assert.equal(r['failed'], 0, String(r['errors']));
    assert.equal(r['notClosed'], 0);
    assert.ok((r['ok'] as number) >= 200);
    assert.ok((r['loginsPerSec'] as number) > 0);
  });
}

/** Our server is started by the bench from the compiled entry; it can only run once it is built. */
const chatBuilt = existsSync(SERVER_MAIN.replace(/main\.js$/, 'serve.js'));
const haveRedis = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));

suite('reference', false);
if (chatBuilt) suite('chat', false);
else test('bench against chat', { skip: 'dist/src/server/serve.js is not built' }, () => {});
if (haveRedis) suite('redis', true);
else test('bench against redis', { skip: 'redis-server is not installed (apt-get install -y redis-server)' }, () => {});

test('bench compare runs both targets and prints ratios', async () => {
  const second = haveRedis ? 'redis' : 'reference';
  const j = await report(['compare', 'room', '--target', 'reference', '--target', second, ...ROOM]);
  assert.equal(j['kind'], 'compare');
  const runs = j['runs'] as Json[];
  assert.equal(runs.length, 2);
  checkRun(runs[0]!, 'room', 'reference');
  checkRun(runs[1]!, 'room', second);
  const metrics = j['metrics'] as Json[];
  const d = metrics.find((m) => m['name'] === 'deliveries/s');
  assert.ok(d !== undefined && typeof d['ratio'] === 'number');
});

test('bench usage errors exit 2 and --help exits 0', async () => {
  assert.equal((await bench(['room', '--bogus'])).code, 2);
  const w = await bench(['room', '--warmup', '-1']);
  assert.equal(w.code, 2);
  assert.match(w.stderr, /--warmup/);
  const h = await bench(['room', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--clients/);
});

/** `room --proto P` against our server: 40 clients, 39 receivers per message, all logged in, nothing lost. */
async function roomOver(proto: 'ws' | 'irc', name: string): Promise<void> {
  const j = await report(['room', '--proto', proto, ...ROOM]);
  const r = checkRun(j, 'room', name);
  assert.equal(obj(j['target'], 'target')['proto'], proto);
  assert.equal(j['ok'], true, String(j['problems']));
  const points = r['points'] as Json[];
  checkPoint(points[0]!, 39, true);
  assert.equal(obj(points[0]!['logins'], 'logins')['ok'], 40);
}

/** `logins --proto P`: 100 sessions or more, none failed, every one closed by the server after the client's goodbye. */
async function loginsOver(proto: 'ws' | 'irc', name: string): Promise<void> {
  const r = checkRun(await report(['logins', '--proto', proto, '--concurrency', '10', '--count', '100', '--duration', '20']), 'logins', name);
  assert.equal(r['failed'], 0, String(r['errors']));
  assert.equal(r['notClosed'], 0);
  assert.ok((r['ok'] as number) >= 100);
}

/** `compare room --protos text,P`: our server over the text protocol, then over P, both lossless, with both p99s. */
async function protosCompare(proto: 'ws' | 'irc', name: string): Promise<void> {
  const j = await report(['compare', 'room', '--protos', `text,${proto}`, ...ROOM]);
  const runs = j['runs'] as Json[];
  checkRun(runs[0]!, 'room', 'chat');
  checkRun(runs[1]!, 'room', name);
  for (const run of runs) checkPoint((obj(run['result'], 'result')['points'] as Json[])[0]!, 39, true);
  const p99 = (j['metrics'] as Json[]).find((m) => m['name'] === 'p99 ms');
  assert.ok(p99 !== undefined && typeof p99['a'] === 'number' && typeof p99['b'] === 'number');
}

// --- WebSocket mode (--proto ws): the browser protocol on our server's web port ---

if (chatBuilt) {
  test('bench room over WebSocket: counts add up, nothing lost', () => roomOver('ws', 'chat-ws'));

  test('bench idle over WebSocket, clients spread over rooms', async () => {
    const j = await report(['idle', '--proto', 'ws', '--clients', '60', '--duration', '1', '--rooms', '3']);
    const r = checkRun(j, 'idle', 'chat-ws');
    assert.equal(r['alive'], 60);
    assert.deepEqual(r['closed'], {});
    assert.equal(typeof r['rssPerConnKiB'], 'number');
  });

  test('bench logins over WebSocket: every session closed by the server after its close frame', async () => {
    await loginsOver('ws', 'chat-ws');
  });

  test('bench compare --protos text,ws runs our server over both protocols in one run', () => protosCompare('ws', 'chat-ws'));

  test('bench drives a running server through a ws:// target', async () => {
    const srv = await startServer(['--auth', 'open', '--http-port', '0', '--flood-rate', '0']);
    try {
      const line = await srv.waitForLog(/Web client on http:\/\/127\.0\.0\.1:\d+\//);
      const port = /:(\d+)\//.exec(line)![1]!;
      const target = `ws://127.0.0.1:${port}/ws`;
      const j = await report(['room', '--target', target, '--clients', '10', '--rate', '50', '--duration', '1', '--warmup', '0']);
      const r = checkRun(j, 'room', target);
      checkPoint((r['points'] as Json[])[0]!, 9, true);
      const wrongPath = await bench(['room', '--target', `ws://127.0.0.1:${port}/nope`, '--clients', '2', '--duration', '0.2', '--warmup', '0']);
      assert.equal(wrongPath.code, 1, 'a refused upgrade is a failed run');
      assert.match(wrongPath.stderr, /404/);
    } finally {
      await srv.stop();
    }
  });
} else {
  test('bench over WebSocket', { skip: 'dist/src/server/serve.js is not built' }, () => {});
}

test('bench --proto and --protos: garbage and conflicts are usage errors (exit 2)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['room', '--proto', 'foo'], /--proto wants text, ws or irc/],
    [['room', '--proto', 'WS'], /--proto wants text, ws or irc/],
    [['room', '--proto', ''], /--proto wants text, ws or irc/],
    [['room', '--proto'], /--proto/],
    [['room', '--proto=ws', '--target', 'redis'], /--proto ws needs --target chat or ws:/],
    [['room', '--proto', 'ws', '--target', 'reference'], /--proto ws needs/],
    [['room', '--proto', 'ws', '--target', 'tcp://127.0.0.1:5693'], /--proto ws needs/],
    [['room', '--proto', 'text', '--target', 'ws://127.0.0.1:1/ws'], /speaks WebSocket only/],
    [['room', '--protos', 'text,ws'], /--protos is for `bench compare`/],
    [['compare', 'room', '--protos', 'text'], /--protos wants two protocols/],
    [['compare', 'room', '--protos', 'text,ws,ws'], /--protos wants two protocols/],
    [['compare', 'room', '--protos', 'text,tcp'], /--protos wants text, ws or irc/],
    [['compare', 'room', '--protos', 'text,ws', '--proto', 'ws'], /exclude each other/],
    [['compare', 'room', '--protos', 'text,ws', '--target', 'chat', '--target', 'chat'], /at most one --target/],
    [['compare', 'room', '--protos', 'text,ws', '--target', 'redis'], /--proto ws needs/],
  ];
  await usageErrors(cases);
  const h = await bench(['room', '--help']);
  assert.match(h.stdout, /--proto text\|ws/);
  const c = await bench(['compare', '--help']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /--protos/);
});

// --- IRC mode (--proto irc): our IRC listener, IRC servers already running, ngIRCd and InspIRCd ---

if (chatBuilt) {
  test('bench room over IRC: counts add up, nothing lost', () => roomOver('irc', 'chat-irc'));

  test('bench idle and logins over IRC: connections stay, every QUIT ends its session', async () => {
    const idle = checkRun(await report(['idle', '--proto', 'irc', '--clients', '60', '--duration', '1', '--rooms', '3']), 'idle', 'chat-irc');
    assert.equal(idle['alive'], 60);
    assert.deepEqual(idle['closed'], {});
    await loginsOver('irc', 'chat-irc');
  });

  test('bench compare --protos text,irc runs our server over both protocols in one run', () => protosCompare('irc', 'chat-irc'));

  test('bench drives a running IRC server through an irc:// target', async () => {
    const srv = await startServer(['--auth', 'open', '--irc-port', '0', '--flood-rate', '0']);
    try {
      const line = await srv.waitForLog(/IRC on 127\.0\.0\.1:\d+ \(/);
      const port = /:(\d+) \(/.exec(line)![1]!;
      const target = `irc://127.0.0.1:${port}`;
      const j = await report(['room', '--target', target, '--clients', '10', '--rate', '50', '--duration', '1', '--warmup', '0']);
      const r = checkRun(j, 'room', target);
      assert.equal(obj(j['target'], 'target')['proto'], 'irc');
      checkPoint((r['points'] as Json[])[0]!, 9, true);
    } finally {
      await srv.stop();
    }
  });
} else {
  test('bench over IRC', { skip: 'dist/src/server/serve.js is not built' }, () => {});
}

for (const daemon of ['ngircd', 'inspircd'] as const) {
  if (ircDaemonAvailable(daemon)) {
    test(`bench room and logins against ${daemon} (started by the bench)`, async () => {
      const j = await report(['room', '--target', daemon, ...ROOM]);
      const r = checkRun(j, 'room', daemon);
      assert.equal(obj(j['target'], 'target')['proto'], 'irc');
      assert.equal(j['ok'], true, String(j['problems']));
      checkPoint((r['points'] as Json[])[0]!, 39, true);
      const l = checkRun(await report(['logins', '--target', daemon, '--concurrency', '5', '--count', '20', '--duration', '30']), 'logins', daemon);
      assert.equal(l['failed'], 0, String(l['errors']));
      assert.equal(l['notClosed'], 0);
    });
  } else {
    test(`bench against ${daemon}`, { skip: `${daemon} is not installed (apt-get install -y ${daemon})` }, () => {});
  }
}

if (chatBuilt && ircDaemonAvailable('ngircd') && ircDaemonAvailable('inspircd')) {
  test('bench compare takes three targets: our IRC listener, ngircd and inspircd side by side', async () => {
    const j = await report(['compare', 'room', '--target', 'chat', '--proto', 'irc', '--target', 'ngircd', '--target', 'inspircd',
      '--clients', '10', '--rate', '50', '--duration', '1', '--warmup', '0']);
    const runs = j['runs'] as Json[];
    assert.deepEqual(runs.map((x) => obj(x['target'], 'target')['name']), ['chat-irc', 'ngircd', 'inspircd']);
    for (const run of runs) checkPoint((obj(run['result'], 'result')['points'] as Json[])[0]!, 9, true);
    const d = (j['metrics'] as Json[]).find((m) => m['name'] === 'deliveries/s')!;
    assert.equal((d['values'] as unknown[]).length, 3);
    assert.equal((d['ratios'] as unknown[]).length, 2);
  });
} else {
  test('bench compare of three IRC servers', { skip: 'needs ngircd and inspircd (apt-get install -y ngircd inspircd) and a build' }, () => {});
}

test('bench --proto irc and the IRC targets: garbage and conflicts are usage errors (exit 2)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['room', '--proto', 'irc6'], /--proto wants text, ws or irc/],
    [['room', '--proto', 'irc', '--target', 'redis'], /--proto irc needs --target chat, ngircd, inspircd or irc:/],
    [['room', '--proto', 'irc', '--target', 'tcp://127.0.0.1:5693'], /--proto irc needs/],
    [['room', '--proto', 'irc', '--target', 'ws://127.0.0.1:1/ws'], /speaks WebSocket only/],
    [['room', '--proto', 'text', '--target', 'ngircd'], /speaks IRC only/],
    [['room', '--proto', 'ws', '--target', 'irc://127.0.0.1:6667'], /speaks IRC only/],
    [['compare', 'room', '--protos', 'text,irc', '--target', 'inspircd'], /speaks IRC only/],
    [['compare', 'room', '--target', 'chat'], /compare takes 2 to 4 --target/],
    [['compare', 'room', '--target', 'chat', '--target', 'ngircd', '--target', 'inspircd', '--target', 'redis', '--target', 'reference'], /compare takes 2 to 4/],
  ];
  await usageErrors(cases);
  const bad = await bench(['room', '--target', 'irc://127.0.0.1:6667/path', '--clients', '1']);
  assert.equal(bad.code, 1, 'a malformed irc:// target is a failed run');
  assert.match(bad.stderr, /unknown target/);
  const h = await bench(['room', '--help']);
  assert.match(h.stdout, /--proto text\|ws\|irc/);
  assert.match(h.stdout, /ngircd/);
});

// --- Cluster mode (--nodes, --via-redis, comma-separated running nodes): needs redis-server ---

/** A cluster run: clients on every node, each message at n - 1 receivers whatever node they are on, the servers' CPU known. */
function checkCluster(j: Json, name: string, nodes: number, clients: number): void {
  const r = checkRun(j, 'room', name);
  assert.equal(j['ok'], true, String(j['problems']));
  assert.equal(obj(j['target'], 'target')['nodes'], nodes);
  const point = (r['points'] as Json[])[0]!;
  checkPoint(point, clients - 1, true);
  assert.equal(obj(point['logins'], 'logins')['ok'], clients);
  assert.equal(typeof point['serverCpuPct'], 'number', 'server CPU summed over the nodes');
}

if (chatBuilt && hasRedis()) {
  test('bench room --nodes 2: a throw-away Redis and two nodes, clients on both, nothing lost', async () => {
    const j = await report(['room', '--nodes', '2', '--clients', '20', '--rate', '20', '--duration', '2', '--warmup', '0.5', '--drain', '10']);
    checkCluster(j, 'chat-cluster2', 2, 20);
    const t = obj(j['target'], 'target');
    assert.equal((t['pids'] as unknown[]).length, 2, 'one pid per node');
    assert.equal(typeof t['busPid'], 'number');
    const point = (obj(j['result'], 'result')['points'] as Json[])[0]!;
    assert.equal(typeof point['busCpuPct'], 'number', 'Redis CPU reported apart');
  });

  test('bench room --nodes 1 --via-redis over IRC: one node on Redis', async () => {
    const j = await report(['room', '--nodes', '1', '--via-redis', '--proto', 'irc', '--clients', '10', '--rate', '20', '--duration', '1', '--warmup', '0']);
    checkCluster(j, 'chat-irc-cluster1', 1, 10);
    assert.equal(obj(j['target'], 'target')['proto'], 'irc');
  });

  test('bench room over nodes already running: comma-separated addresses spread the clients', async () => {
    const redis = await startRedis();
    const flags = ['--redis', redis.url, '--auth', 'open', '--flood-rate', '0', '--log-messages', 'off'];
    const a = await startServer([...flags, '--node-name', 'a']);
    const b = await startServer([...flags, '--node-name', 'b']);
    try {
      await a.waitForLog(/\[CLUSTER\] node b~\S+ seen/);
      await b.waitForLog(/\[CLUSTER\] node a~\S+ seen/);
      const target = `tcp://127.0.0.1:${a.port},tcp://127.0.0.1:${b.port}`;
      const pids = `${a.proc.pid},${b.proc.pid}`;
      const j = await report(['room', '--target', target, '--server-pid', pids, '--clients', '10', '--rate', '20', '--duration', '1', '--warmup', '0']);
      checkCluster(j, target, 2, 10);
      assert.deepEqual(obj(j['target'], 'target')['pids'], [a.proc.pid, b.proc.pid]);
    } finally {
      await a.stop();
      await b.stop();
      await redis.stop();
    }
  });
} else {
  test('bench cluster mode', { skip: 'needs redis-server (apt-get install -y redis-server) and a build' }, () => {});
}

test('bench --nodes and --via-redis: garbage and conflicts are usage errors (exit 2)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['room', '--nodes', '0'], /--nodes wants a whole number from 1 to 16/],
    [['room', '--nodes', '17'], /--nodes wants/],
    [['room', '--nodes', '2.5'], /--nodes wants/],
    [['room', '--nodes', '2', '--target', 'redis'], /need --target chat, not redis/],
    [['room', '--via-redis', '--target', 'tcp://127.0.0.1:5693'], /need --target chat/],
    [['room', '--server-pid', '12,x'], /--server-pid wants/],
  ];
  await usageErrors(cases);
  const mixed = await bench(['room', '--target', 'tcp://127.0.0.1:1,ws://127.0.0.1:2/ws', '--clients', '1']);
  assert.equal(mixed.code, 1, 'addresses of different schemes are a failed run');
  assert.match(mixed.stderr, /same scheme/);
  const h = await bench(['room', '--help']);
  assert.match(h.stdout, /--nodes N/);
  assert.match(h.stdout, /--via-redis/);
});
