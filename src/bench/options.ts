import { availableParallelism } from 'node:os';
import type { ChatProto } from './targets.js';
import { MAX_NODES } from './cluster.js';

/** Every bench option after parsing. Scenario defaults are applied in defaultsFor(). */
export interface BenchOptions {
  targets: string[];
  clients: number[];
  rate: number;
  durationS: number;
  workers: number;
  json: boolean;
  resultsDir: string;
  save: boolean;
  userPattern: string;
  passPattern: string;
  /** --server-pid: the server processes of a tcp://, ws:// or irc:// target (a cluster's nodes), for RSS and CPU. */
  serverPids: number[];
  /** --nodes: our server (`chat`) as this many cluster nodes on a throw-away Redis (1 = a single server, unless viaRedis). */
  nodes: number;
  /** --via-redis: our server as cluster nodes on Redis even with --nodes 1 (the Redis hop's cost against a plain server). */
  viaRedis: boolean;
  serverArgs: string[];
  nodeArgs: string[];
  drainS: number;
  concurrency: number;
  channel: string;
  loginTimeoutS: number;
  senders: number;
  steps: number[];
  stepDurationS: number;
  /** Seconds of unmeasured sending before each measured phase (room, firehose). */
  warmupS: number;
  keepGoing: boolean;
  maxP99Ms: number;
  rooms: number;
  count: number;
  svg: string | null;
  /** --proto: how to speak to our server (`chat`); null = not given (text, or what a ws://, irc:// or IRC daemon target implies). */
  proto: ChatProto | null;
  /** --protos A,B (compare only): the same target once per protocol. */
  protos: ChatProto[] | null;
  help: boolean;
}

export type Scenario = 'room' | 'firehose' | 'idle' | 'logins';
export const SCENARIOS: readonly Scenario[] = ['room', 'firehose', 'idle', 'logins'];

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Defaults per scenario: chosen so a bare `bench <scenario>` finishes in well under a minute, except idle (60 s by definition). */
export function defaultsFor(s: Scenario): BenchOptions {
  const base: BenchOptions = {
    targets: [], clients: [1000], rate: 100, durationS: 10, workers: Math.min(2, availableParallelism()), json: false,
    resultsDir: 'bench/results', save: true, userPattern: 'user{i}', passPattern: 'user{i}p', serverPids: [], nodes: 1, viaRedis: false,
    serverArgs: [], nodeArgs: [], drainS: 10, concurrency: 200, channel: 'bench', loginTimeoutS: 30,
    senders: 10, steps: [5000, 10000, 20000, 40000, 60000, 80000], stepDurationS: 5, warmupS: 2, keepGoing: false, maxP99Ms: 100,
    rooms: 0, count: 20000, svg: null, proto: null, protos: null, help: false,
  };
  if (s === 'firehose') base.clients = [100];
  if (s === 'idle') { base.clients = [1000]; base.durationS = 60; }
  if (s === 'logins') { base.concurrency = 100; base.durationS = 30; }
  return base;
}

/** Decimal notation only: Number() would also take '' and ' ' (as 0), hex, exponents and Infinity. */
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;
const WHOLE = /^\d+$/;

/** `v` as a number when it matches `syntax` and lies in [min, max], else null. */
function inRange(v: string, syntax: RegExp, min: number, max: number): number | null {
  const n = Number(v);
  return syntax.test(v) && n >= min && n <= max ? n : null;
}

export function num(flag: string, v: string, min: number, max: number, whole = false): number {
  const n = inRange(v, whole ? WHOLE : DECIMAL, min, max);
  if (n === null) throw new UsageError(`${flag} wants a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function int(flag: string, v: string, min: number, max: number): number {
  return num(flag, v, min, max, true);
}

/** A comma-separated list of whole numbers; every item must be one (spaces around items are fine). */
function list(flag: string, v: string, min: number, max: number): number[] {
  const items = v.split(',');
  const out = items.map((x) => inRange(x.trim(), WHOLE, min, max)).filter((n): n is number => n !== null);
  if (out.length !== items.length || out.length > 50) {
    throw new UsageError(`${flag} wants 1 to 50 comma-separated whole numbers from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return out;
}

const PROTOS: readonly ChatProto[] = ['text', 'ws', 'irc'];

function proto(flag: string, v: string): ChatProto {
  const p = PROTOS.find((x) => x === v);
  if (p === undefined) throw new UsageError(`${flag} wants text, ws or irc, got ${JSON.stringify(v)}`);
  return p;
}

/** --protos: exactly two protocols, comma-separated, e.g. text,ws. */
function protoPair(flag: string, v: string): ChatProto[] {
  const items = v.split(',').map((x) => x.trim());
  if (items.length !== 2) throw new UsageError(`${flag} wants two protocols, e.g. text,ws, got ${JSON.stringify(v)}`);
  return items.map((x) => proto(flag, x));
}

/** Targets that speak IRC only: the daemons the bench starts, and any IRC server already running. */
export function ircOnly(target: string): boolean {
  return target === 'ngircd' || target === 'inspircd' || target.startsWith('irc://');
}

/**
 * Targets and protocols must agree: --proto ws speaks the browser protocol, which only our server
 * (`chat`) and a ws:// URL offer; --proto irc only our server, ngircd, inspircd and irc:// URLs. A
 * ws:// target is WebSocket and an IRC-only target IRC whatever else is asked, so with several
 * targets (compare) --proto applies to `chat` and must match the others.
 */
function checkProtocols(o: BenchOptions): void {
  if (o.proto !== null && o.protos !== null) throw new UsageError('--proto and --protos exclude each other');
  const asks = (p: ChatProto): boolean => o.proto === p || o.protos?.includes(p) === true;
  for (const t of o.targets) {
    if (t.startsWith('ws://') && ((o.proto !== null && o.proto !== 'ws') || o.protos !== null)) throw new UsageError(`target ${t} speaks WebSocket only; drop --proto/--protos`);
    if (ircOnly(t) && ((o.proto !== null && o.proto !== 'irc') || o.protos !== null)) throw new UsageError(`target ${t} speaks IRC only; drop --protos, and --proto or make it irc`);
    if (t !== 'chat' && !t.startsWith('ws://') && asks('ws')) {
      throw new UsageError(`--proto ws needs --target chat or ws://host:port/ws, not ${t}`);
    }
    if (t !== 'chat' && !ircOnly(t) && asks('irc')) {
      throw new UsageError(`--proto irc needs --target chat, ngircd, inspircd or irc://host:port, not ${t}`);
    }
  }
}

/** --nodes and --via-redis start our server as nodes; any other target given is a usage error. */
function checkCluster(o: BenchOptions): void {
  if (o.nodes === 1 && !o.viaRedis) return;
  const other = o.targets.find((t) => t !== 'chat');
  if (other !== undefined) throw new UsageError(`--nodes and --via-redis start our server as cluster nodes: they need --target chat, not ${other} (for nodes already running, give their addresses as one --target, comma-separated)`);
}

export function words(v: string): string[] {
  return v.split(/\s+/).filter((x) => x !== '');
}

/**
 * Walks `--flag value` / `--flag=value` options: `each` gets the flag and a `next()` that returns
 * its value (the part after `=`, or the following argument; a usage error when there is none).
 */
export function eachOption(argv: readonly string[], each: (arg: string, next: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    each(arg, () => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    });
  }
}

/** Parses `--flag value` / `--flag=value` options over the scenario's defaults. */
export function parseOptions(s: Scenario, argv: string[]): BenchOptions {
  const o = defaultsFor(s);
  eachOption(argv, (arg, next) => {
    switch (arg) {
      case '--help': case '-h': o.help = true; break;
      case '--json': o.json = true; break;
      case '--no-save': o.save = false; break;
      case '--keep-going': o.keepGoing = true; break;
      case '--target': o.targets.push(next()); break;
      case '--clients': o.clients = list(arg, next(), 1, 100_000); break;
      case '--rate': o.rate = num(arg, next(), 0.1, 10_000_000); break;
      case '--duration': o.durationS = num(arg, next(), 0.1, 3600); break;
      case '--workers': o.workers = int(arg, next(), 1, 64); break;
      case '--results-dir': o.resultsDir = next(); break;
      case '--user-pattern': o.userPattern = next(); break;
      case '--pass-pattern': o.passPattern = next(); break;
      case '--server-pid': o.serverPids = list(arg, next(), 1, 2 ** 31); break;
      case '--nodes': o.nodes = int(arg, next(), 1, MAX_NODES); break;
      case '--via-redis': o.viaRedis = true; break;
      case '--server-args': o.serverArgs.push(...words(next())); break;
      case '--node-args': o.nodeArgs.push(...words(next())); break;
      case '--drain': o.drainS = num(arg, next(), 0, 600); break;
      case '--concurrency': o.concurrency = int(arg, next(), 1, 100_000); break;
      case '--channel': o.channel = next(); break;
      case '--login-timeout': o.loginTimeoutS = num(arg, next(), 1, 600); break;
      case '--senders': o.senders = int(arg, next(), 1, 100_000); break;
      case '--steps': o.steps = list(arg, next(), 1, 10_000_000); break;
      case '--step-duration': o.stepDurationS = num(arg, next(), 0.1, 600); break;
      case '--warmup': o.warmupS = num(arg, next(), 0, 600); break;
      case '--max-p99': o.maxP99Ms = num(arg, next(), 0, 600_000); break;
      case '--rooms': o.rooms = int(arg, next(), 0, 100_000); break;
      case '--count': o.count = int(arg, next(), 1, 100_000_000); break;
      case '--svg': o.svg = next(); break;
      case '--proto': o.proto = proto(arg, next()); break;
      case '--protos': o.protos = protoPair(arg, next()); break;
      default: throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  });
  if (!o.userPattern.includes('{i}')) throw new UsageError('--user-pattern must contain {i} (the 1-based client number)');
  checkProtocols(o);
  checkCluster(o);
  return o;
}
