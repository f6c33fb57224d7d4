import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../store/accounts/password-hash.js';
import { ALL_KINDS, ATTACK_KINDS, parseAttacks, type AttackKind, type AttackStats, type HostileEndpoints } from './hostile-attacks.js';
import type { HostileWorkerJob, HostileWorkerReport } from './hostile-worker.js';
import { Chatter, probeLogin, USER_PROTOS, type ChatResult, type UserProto } from './hostile-users.js';
import { onCleanup } from './cleanup.js';
import { stopper } from './processes.js';
import { cpuPercent, readCpuMicros, readRssKiB } from './proc-stats.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { SCHEMA, saveJson } from './results.js';
import { eachOption, num, UsageError, words } from './options.js';
import type { Progress } from './progress.js';

const SERVER_MAIN = fileURLToPath(new URL('../server/main.js', import.meta.url));
/** The attacker process (src/bench/hostile-worker.ts), also forked by the hostile soak test. */
export const HOSTILE_WORKER = fileURLToPath(new URL('./hostile-worker.js', import.meta.url));

/**
 * `chat-server bench hostile`: our server with its default limits (on every listener: text, IRC,
 * web), attacked for --duration seconds by attacker processes (hostile-attacks.ts), while two users
 * of different protocols chat and a new user of each protocol logs in every --probe-every seconds.
 * Reports the server's RSS (sampled from /proc every 50 ms) against its idle RSS, the probes' login
 * times, whether every chat line arrived in order, and what the attackers sent. Exit status 1 when
 * a figure is missed (RSS over idle above --rss-limit, a probe slower than 1 s or failed, a chat
 * line lost or out of order, the server gone).
 */

export interface HostileOptions {
  durationS: number;
  kinds: AttackKind[];
  /** Connections per attack kind at a time. */
  conns: number;
  /** Sockets http-headers keeps open. */
  slowSockets: number;
  /** Attacker processes; kinds are dealt over them. */
  procs: number;
  /** Source addresses 127.0.0.2 and up the attackers connect from. */
  addresses: number;
  probeEveryS: number;
  /** Chat lines per second from each of the two users. */
  chatRate: number;
  rssLimitMiB: number;
  serverArgs: string[];
  nodeArgs: string[];
  json: boolean;
  save: boolean;
  resultsDir: string;
  help: boolean;
}

export const HOSTILE_HELP = `chat-server bench hostile [options]

Starts our server (default limits; text, IRC and web listeners on free ports, --auth open with a
users file: registered users need their password, other names are guests) and attacks it from
loopback addresses 127.0.0.2 and up, at the highest rate the attacker processes can write, while
two users (text and WebSocket) chat in the lobby and a new user of each protocol (text, IRC,
WebSocket JSON, IRC over WebSocket) logs in every --probe-every seconds from 127.0.0.1.
Reports: server RSS (from /proc every 50 ms) over its idle RSS, each probe's login time, every
chat line delivered in order, the server alive; exit status 1 when one of these is missed.

  --duration S          seconds of attack (default 60)
  --attacks LIST        comma-separated kinds or groups (text, irc, ws, http), default all; none
                        runs the probes and the chat alone (the baseline). The kinds:
${ALL_KINDS.map((k) => `                          ${k.padEnd(16)} ${ATTACK_KINDS[k].what}`).join('\n')}
  --conns N             connections per kind at a time (default 4)
  --slow-sockets N      sockets http-headers keeps open (default 1000)
  --procs N             attacker processes (default 1: the server keeps a core)
  --addresses N         source addresses 127.0.0.2 .. 127.0.0.(N+1) (default 32)
  --probe-every S       seconds between one protocol's login probes (default 1)
  --chat-rate R         lines per second from each chatting user (default 5)
  --rss-limit MIB       allowed server RSS over idle, at any moment (default 64)
  --server-args "..."   extra flags for the server
  --node-args "..."     node flags for the server, e.g. "--max-semi-space-size=2"
  --json                print the JSON report instead of the table
  --results-dir DIR     where the timestamped JSON goes (default bench/results)
  --no-save             do not write the JSON file
  --help                this help`;

function defaults(): HostileOptions {
  return {
    durationS: 60, kinds: [...ALL_KINDS], conns: 4, slowSockets: 1000, procs: 1, addresses: 32, probeEveryS: 1, chatRate: 5,
    rssLimitMiB: 64, serverArgs: [], nodeArgs: [], json: false, save: true, resultsDir: 'bench/results', help: false,
  };
}

export function parseHostileOptions(argv: string[]): HostileOptions {
  const o = defaults();
  eachOption(argv, (arg, next) => {
    switch (arg) {
      case '--help': case '-h': o.help = true; break;
      case '--json': o.json = true; break;
      case '--no-save': o.save = false; break;
      case '--results-dir': o.resultsDir = next(); break;
      case '--duration': o.durationS = num(arg, next(), 1, 3600, false); break;
      case '--conns': o.conns = num(arg, next(), 1, 1000, true); break;
      case '--slow-sockets': o.slowSockets = num(arg, next(), 0, 20_000, true); break;
      case '--procs': o.procs = num(arg, next(), 1, 16, true); break;
      case '--addresses': o.addresses = num(arg, next(), 1, 250, true); break;
      case '--probe-every': o.probeEveryS = num(arg, next(), 0.1, 600, false); break;
      case '--chat-rate': o.chatRate = num(arg, next(), 0.1, 9, false); break;
      case '--rss-limit': o.rssLimitMiB = num(arg, next(), 1, 100_000, false); break;
      case '--server-args': o.serverArgs.push(...words(next())); break;
      case '--node-args': o.nodeArgs.push(...words(next())); break;
      case '--attacks': {
        const parsed = parseAttacks(next());
        if ('unknown' in parsed) throw new UsageError(`--attacks: unknown kind or group ${JSON.stringify(parsed.unknown)} (all, none, text, irc, ws, http, or a kind from --help)`);
        o.kinds = parsed.kinds;
        break;
      }
      default: throw new UsageError(`unknown option ${arg} (see bench hostile --help)`);
    }
  });
  return o;
}

export interface ProbeSummary {
  ok: number;
  failed: number;
  p50Ms: number | null;
  maxMs: number | null;
  /** Up to 10 reasons. */
  failures: string[];
}

export interface HostileReport {
  schema: typeof SCHEMA;
  kind: 'hostile';
  date: string;
  command: string;
  machine: MachineInfo;
  options: Omit<HostileOptions, 'help' | 'json' | 'save' | 'resultsDir'>;
  rss: {
    /** Just started, nobody logged in. */
    startMiB: number;
    /** Two users chatting, after one login of each protocol (see runHostile). */
    idleMiB: number;
    peakMiB: number;
    peakOverIdleMiB: number;
    /** At the end of the attack, and 5 s after it. */
    endMiB: number;
    afterMiB: number;
    /** Highest sample of each second of the attack. */
    perSecondMiB: number[];
  };
  server: { alive: boolean; cpuPct: number | null };
  attacks: Record<string, AttackStats>;
  chat: ChatResult;
  probes: Record<UserProto, ProbeSummary>;
  checks: Array<{ check: string; ok: boolean; detail: string }>;
  ok: boolean;
}

const MIB = 1024;
const ACCOUNTS = ['alice', 'bob', 'victim', ...USER_PROTOS.map((p) => `probe_${p}`)] as const;

/** Our server on free ports, with a users file of ACCOUNTS (random passwords). */
async function startServer(o: HostileOptions, dir: string): Promise<{ proc: ChildProcess; endpoints: HostileEndpoints; passwords: Map<string, string>; stop: () => Promise<void>; output: () => string }> {
  const passwords = new Map<string, string>();
  const lines: string[] = [];
  for (const name of ACCOUNTS) {
    const pw = randomBytes(9).toString('base64url');
    passwords.set(name, pw);
    lines.push(`${name}:${await hashPassword(pw)}\n`);
  }
  const users = join(dir, 'users.txt');
  writeFileSync(users, lines.join(''));
  const args = [...o.nodeArgs, SERVER_MAIN, '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--irc-port', '0', '--users', users, '--auth', 'open', ...o.serverArgs];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const stop = onCleanup(stopper(proc));
  let log = '';
  const endpoints = await new Promise<HostileEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no banner within 20 s:\n${log.slice(-2000)}`)), 20_000);
    const onData = (d: Buffer): void => {
      log = (log + d.toString('utf8')).slice(-64 * 1024);
      if (!/Accounts: /.test(log)) return;
      clearTimeout(timer);
      const text = /Chat server running on (\S+):(\d+)/.exec(log);
      const web = /Web client on http:\/\/(\S+):(\d+)\//.exec(log);
      const irc = /IRC on (\S+):(\d+) \(/.exec(log);
      if (text === null || web === null || irc === null) return reject(new Error(`the server did not open every listener:\n${log.slice(-2000)}`));
      const at = (m: RegExpExecArray): { host: string; port: number } => ({ host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) });
      resolve({ text: at(text), web: at(web), irc: at(irc) });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}) before its banner:\n${log.slice(-2000)}`)); });
  }).catch(async (e: unknown) => { await stop(); throw e; });
  return { proc, endpoints, passwords, stop, output: () => log };
}

/** RSS of `pid` every 50 ms until stopped. */
class RssSampler {
  readonly samples: Array<{ at: number; kib: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 50);
    this.sample();
  }

  sample(): number | null {
    const kib = readRssKiB(this.pid);
    if (kib !== null) this.samples.push({ at: Date.now(), kib });
    return kib;
  }

  /** Highest sample in [from, to). */
  peak(from: number, to = Infinity): number {
    let max = 0;
    for (const s of this.samples) if (s.at >= from && s.at < to && s.kib > max) max = s.kib;
    return max;
  }

  /** Median sample in [from, to). */
  median(from: number, to: number): number {
    const xs = this.samples.filter((s) => s.at >= from && s.at < to).map((s) => s.kib).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Repeats login probes over one protocol every `everyMs` until `until()` is false. */
async function probeLoop(proto: UserProto, endpoints: HostileEndpoints, name: string, password: string, everyMs: number, until: () => boolean, out: number[], failures: string[]): Promise<void> {
  while (until()) {
    const t0 = Date.now();
    const r = await probeLogin(proto, endpoints, name, password, 10_000);
    if (r.ok) out.push(r.ms);
    else failures.push(r.why);
    const wait = everyMs - (Date.now() - t0);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function summary(ms: number[], failures: string[]): ProbeSummary {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 10) / 10);
  return { ok: ms.length, failed: failures.length, p50Ms: round(sorted[Math.floor(sorted.length / 2)]), maxMs: round(sorted[sorted.length - 1]), failures: failures.slice(0, 10) };
}

/** Forks the attacker processes (kinds dealt round-robin); resolves with their summed counters once all have exited. */
function startAttackers(o: HostileOptions, endpoints: HostileEndpoints, deadline: number): Promise<Record<string, AttackStats>> {
  const addresses = Array.from({ length: o.addresses }, (_, i) => `127.0.0.${i + 2}`);
  const procs = Math.min(o.procs, o.kinds.length);
  const latest = Array.from({ length: procs }, (): Record<string, AttackStats> => ({}));
  const exits = Array.from({ length: procs }, (_, p) => {
    const job: HostileWorkerJob = {
      kinds: o.kinds.filter((_, k) => k % procs === p),
      plan: { endpoints, deadline, addresses, victim: 'victim', namePrefix: `g${p}x`, conns: o.conns, slowSockets: Math.ceil(o.slowSockets / procs) },
    };
    const child = fork(HOSTILE_WORKER, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const stop = onCleanup(stopper(child));
    child.on('message', (m: HostileWorkerReport) => { latest[p] = m.stats; });
    return new Promise<void>((resolve) => child.once('exit', () => { void stop(); resolve(); }));
  });
  return Promise.all(exits).then(() => {
    const total: Record<string, AttackStats> = {};
    for (const stats of latest) Object.assign(total, stats);
    return total;
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runHostile(o: HostileOptions, command: string, progress: Progress): Promise<HostileReport> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-hostile-'));
  const server = await startServer(o, dir).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const pid = server.proc.pid!;
  const rss = new RssSampler(pid);
  const startKiB = rss.sample() ?? 0;
  const alive = (): boolean => server.proc.exitCode === null && server.proc.signalCode === null;
  const alice = new Chatter('alice', 'bob');
  const bob = new Chatter('bob', 'alice');
  try {
    await Promise.all([alice.start('text', server.endpoints, server.passwords.get('alice')!), bob.start('ws', server.endpoints, server.passwords.get('bob')!)]);
    const chat = setInterval(() => { alice.sayNext(); bob.sayNext(); }, 1000 / o.chatRate);
    // Idle: the server with the two users chatting, before any attack, after two rounds of eight
    // simultaneous logins from two addresses (the verify queue runs two checks per address): every
    // thread of libuv's pool (4) has then run a scrypt check, and each check's 16 MiB stays with
    // its thread's malloc arena for the next one (glibc). That is RSS a server reaches at its first
    // few simultaneous logins, attack or not (docs/benchmarks.md, "Hostile soak").
    for (let round = 0; round < 2; round++) {
      await Promise.all(['127.0.0.1', '127.0.1.1'].flatMap((from) => USER_PROTOS.map((p) => probeLogin(p, server.endpoints, `probe_${p}`, server.passwords.get(`probe_${p}`)!, 10_000, from))));
    }
    await sleep(2000);
    const calmFrom = Date.now();
    await sleep(2000);
    const idleKiB = rss.median(calmFrom, Date.now());
    const t0 = Date.now();
    const deadline = t0 + o.durationS * 1000;
    const cpu0 = readCpuMicros(pid);
    const attacks = startAttackers(o, server.endpoints, deadline);
    const probeMs = new Map(USER_PROTOS.map((p) => [p, [] as number[]]));
    const probeFailures = new Map(USER_PROTOS.map((p) => [p, [] as string[]]));
    const probing = USER_PROTOS.map((p) => probeLoop(p, server.endpoints, `probe_${p}`, server.passwords.get(`probe_${p}`)!, o.probeEveryS * 1000, () => Date.now() < deadline && alive(), probeMs.get(p)!, probeFailures.get(p)!));
    while (Date.now() < deadline && alive()) {
      await sleep(500);
      const now = rss.samples[rss.samples.length - 1]?.kib ?? 0;
      const logins = USER_PROTOS.map((p) => `${p} ${probeMs.get(p)!.length}/${probeFailures.get(p)!.length}`).join(' ');
      progress.update(`hostile: ${Math.round((Date.now() - t0) / 1000)}/${o.durationS}s, server RSS ${(now / MIB).toFixed(0)} MiB (idle ${(idleKiB / MIB).toFixed(0)}), logins ok/failed ${logins}`);
    }
    const attackStats = await attacks;
    await Promise.all(probing);
    const cpuPct = cpuPercent(cpu0, readCpuMicros(pid), Date.now() - t0);
    const endKiB = rss.peak(Date.now() - 500);
    clearInterval(chat);
    alice.peerSent = bob.sent;
    bob.peerSent = alice.sent;
    await Promise.all([alice.caughtUp(30_000), bob.caughtUp(30_000)]);
    await sleep(5000);
    const afterKiB = rss.peak(Date.now() - 500);
    const serverAlive = alive();
    rss.stop();
    const peakKiB = rss.peak(t0, deadline + 1000);
    const perSecondMiB = Array.from({ length: Math.ceil(o.durationS) }, (_, s) => Math.round(rss.peak(t0 + s * 1000, t0 + (s + 1) * 1000) / MIB * 10) / 10);
    const probes = Object.fromEntries(USER_PROTOS.map((p) => [p, summary(probeMs.get(p)!, probeFailures.get(p)!)])) as Record<UserProto, ProbeSummary>;
    const chatResult: ChatResult = {
      sent: { alice: alice.sent, bob: bob.sent },
      received: { alice: alice.received, bob: bob.received },
      disorder: [...alice.disorder, ...bob.disorder],
      missing: { alice: alice.missing, bob: bob.missing },
    };
    const overMiB = (peakKiB - idleKiB) / MIB;
    const slowest = Math.max(0, ...USER_PROTOS.map((p) => probes[p].maxMs ?? 0));
    const failed = USER_PROTOS.reduce((n, p) => n + probes[p].failed, 0);
    const checks = [
      { check: `server RSS at most ${o.rssLimitMiB} MiB over idle`, ok: overMiB <= o.rssLimitMiB, detail: `peak ${(peakKiB / MIB).toFixed(1)} MiB, idle ${(idleKiB / MIB).toFixed(1)} MiB: +${overMiB.toFixed(1)} MiB` },
      { check: 'every probe logged in within 1 s', ok: failed === 0 && slowest <= 1000 && USER_PROTOS.every((p) => probes[p].ok > 0), detail: `slowest ${slowest.toFixed(0)} ms, ${failed} failed` },
      { check: 'every chat line delivered, in order', ok: chatResult.disorder.length === 0 && alice.missing === 0 && bob.missing === 0 && alice.closedEarly === null && bob.closedEarly === null, detail: `${alice.sent + bob.sent} sent, ${alice.missing + bob.missing} missing, ${chatResult.disorder.length} out of order${alice.closedEarly ?? bob.closedEarly ?? ''}` },
      { check: 'the server is alive', ok: serverAlive, detail: serverAlive ? `pid ${pid}` : `exited: ${server.output().slice(-500)}` },
    ];
    const { help: _h, json: _j, save: _s, resultsDir: _r, ...options } = o;
    return {
      schema: SCHEMA, kind: 'hostile', date: new Date().toISOString(), command, machine: machineInfo(), options,
      rss: { startMiB: r1(startKiB / MIB), idleMiB: r1(idleKiB / MIB), peakMiB: r1(peakKiB / MIB), peakOverIdleMiB: r1(overMiB), endMiB: r1(endKiB / MIB), afterMiB: r1(afterKiB / MIB), perSecondMiB },
      server: { alive: serverAlive, cpuPct }, attacks: attackStats, chat: chatResult, probes, checks, ok: checks.every((c) => c.ok),
    };
  } finally {
    rss.stop();
    alice.stop();
    bob.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function renderHostile(r: HostileReport): string {
  const out: string[] = [];
  out.push(`hostile: ${r.options.durationS} s, ${r.options.kinds.length} attack kinds x ${r.options.conns} connections, ${r.options.procs} attacker process(es), server CPU ${r.server.cpuPct ?? '?'} %`);
  out.push(`server RSS: at start ${r.rss.startMiB} MiB, idle ${r.rss.idleMiB} MiB, peak ${r.rss.peakMiB} MiB (+${r.rss.peakOverIdleMiB}), end ${r.rss.endMiB}, 5 s later ${r.rss.afterMiB}`);
  out.push(`RSS per second (MiB): ${r.rss.perSecondMiB.join(' ')}`);
  out.push('probe logins   ok  failed   p50 ms   max ms');
  for (const p of USER_PROTOS) {
    const s = r.probes[p];
    out.push(`  ${p.padEnd(10)} ${String(s.ok).padStart(4)} ${String(s.failed).padStart(7)} ${String(s.p50Ms ?? '-').padStart(8)} ${String(s.maxMs ?? '-').padStart(8)}${s.failures.length > 0 ? `  first failure: ${s.failures[0]}` : ''}`);
  }
  out.push(`chat: sent alice ${r.chat.sent['alice']}, bob ${r.chat.sent['bob']}; missing ${JSON.stringify(r.chat.missing)}; out of order ${r.chat.disorder.length}`);
  out.push('attack            connections     MiB sent        inputs');
  for (const [kind, s] of Object.entries(r.attacks)) {
    out.push(`  ${kind.padEnd(16)} ${String(s.connections).padStart(11)} ${(s.bytes / 2 ** 20).toFixed(1).padStart(12)} ${String(s.units).padStart(13)}`);
  }
  const total = Object.values(r.attacks).reduce((a, s) => ({ c: a.c + s.connections, b: a.b + s.bytes, u: a.u + s.units }), { c: 0, b: 0, u: 0 });
  out.push(`  ${'total'.padEnd(16)} ${String(total.c).padStart(11)} ${(total.b / 2 ** 20).toFixed(1).padStart(12)} ${String(total.u).padStart(13)}`);
  for (const c of r.checks) out.push(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
  return `${out.join('\n')}\n`;
}

/** `bench hostile ...`: 0 when every figure is met, 1 when one is missed. */
export async function hostileCli(argv: string[], command: string, progress: Progress): Promise<number> {
  const o = parseHostileOptions(argv);
  if (o.help) {
    process.stdout.write(`${HOSTILE_HELP}\n`);
    return 0;
  }
  const report = await runHostile(o, command, progress);
  progress.clear();
  const saved = o.save ? saveJson(o.resultsDir, 'hostile-chat', report) : null;
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(renderHostile(report));
  if (saved !== null) (o.json ? process.stderr : process.stdout).write(`saved ${saved}\n`);
  return report.ok ? 0 : 1;
}
