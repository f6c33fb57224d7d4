import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { Endpoint, Proto } from './worker-protocol.js';
import { startCluster } from './cluster.js';
import { startInspircd, startNgircd } from './irc-daemons.js';
import { freePort, spawnListening, stopper } from './processes.js';
import { onCleanup } from './cleanup.js';

const SERVER_MAIN = fileURLToPath(new URL('../server/main.js', import.meta.url));
const REFERENCE_MAIN = fileURLToPath(new URL('./reference-server.js', import.meta.url));

/** A server under test: where it listens, how to speak to it and, when known, its processes. */
export interface Target {
  /**
   * As given on the command line (chat, reference, redis, ngircd, inspircd, tcp://host:port,
   * ws://host:port/path, irc://host:port, or several comma-separated addresses of one scheme);
   * chat-ws and chat-irc for our server over WebSocket and IRC; a `-clusterN` suffix for N nodes
   * of our server on a Redis the bench started.
   */
  readonly name: string;
  readonly proto: Proto;
  /** Where clients connect, dealt by client id (client i to endpoints[i mod length]): one address, or one per node. */
  readonly endpoints: readonly Endpoint[];
  /** The WebSocket endpoint's path for proto ws ('' otherwise). */
  readonly wsPath: string;
  /** IRC only: register with PASS (our server's login; irc:// targets get it too, ngIRCd and InspIRCd do not). */
  readonly ircPass: boolean;
  /** A cap on logins in flight (below --concurrency) for a server that drops connects beyond it; null = none. */
  readonly maxLoginsInFlight: number | null;
  /**
   * The server processes, for RSS and CPU readings from /proc, reported as their sum (one per
   * node of a cluster); empty when unknown (a tcp:// target without --server-pid).
   */
  readonly pids: readonly number[];
  /** The Redis a cluster's nodes share, reported apart from the servers; null without one. */
  readonly busPid: number | null;
  /**
   * How many clients receive one message in a room of `n`: our protocol does not echo to the
   * sender (n - 1), whichever node each client is on; Redis delivers to every subscriber
   * including the publisher's own connection (n).
   */
  receivers(n: number): number;
  stop(): Promise<void>;
}

/** Which of our server's protocols the bench speaks to it (`--proto`). */
export type ChatProto = 'text' | 'ws' | 'irc';

export interface TargetOptions {
  /** For `chat`: the text protocol on its TCP port, the browser protocol on its web port, or IRC on its IRC port. */
  proto: ChatProto;
  /** Extra flags for our server (`--target chat`), after the bench's own. */
  serverArgs: string[];
  /** Flags for node itself when starting our server, e.g. --cpu-prof. */
  nodeArgs: string[];
  /** --server-pid: the processes of a server the bench did not start, for RSS and CPU. */
  serverPids: number[];
  /** Connections the target must accept (sizes max-clients and Redis maxclients). */
  maxConnections: number;
  /** For `chat`: how many nodes to start (--nodes), and whether on a Redis even for one (--via-redis; implied above one). */
  nodes: number;
  viaRedis: boolean;
}

/** The flags the bench starts our server with: open auth and no flood control, so load is not throttled. */
export const CHAT_SERVER_FLAGS = ['--host', '127.0.0.1', '--port', '0', '--auth', 'open', '--flood-rate', '0',
  '--queue-size', '1000', '--log-messages', 'off', '--quiet', '--http-port', 'off', '--irc-port', 'off'];

export async function startTarget(spec: string, opts: TargetOptions): Promise<Target> {
  if (spec === 'chat') {
    if (opts.viaRedis || opts.nodes > 1) {
      return startCluster(opts.nodes, (flags) => startChat(opts, flags), () => startRedis(opts.nodes * 10));
    }
    return startChat(opts, []);
  }
  if (opts.proto === 'ws' && !spec.startsWith('ws://')) throw new Error(`target ${spec} does not speak WebSocket (--proto ws wants chat or ws://host:port/ws)`);
  if (spec === 'reference') return spawnBannerServer(spec, [REFERENCE_MAIN, '0'], 'text', TEXT_BANNER);
  if (spec === 'redis') return startRedis(opts.maxConnections);
  if (spec === 'ngircd') return startNgircd(opts.maxConnections);
  if (spec === 'inspircd') return startInspircd(opts.maxConnections);
  return runningTarget(spec, opts.serverPids);
}

/**
 * Our server as one child process over the chosen protocol: the bench's flags, then `extra` (a
 * cluster node's --redis and --node-name), then --server-args.
 */
function startChat(opts: TargetOptions, extra: string[]): Promise<Target> {
  const limit = String(Math.max(opts.maxConnections + 100, 10_000));
  // Over WebSocket (IRC) the server also listens on a free web (IRC) port, and the bench connects there instead.
  const listener = opts.proto === 'ws' ? '--http-port' : opts.proto === 'irc' ? '--irc-port' : null;
  const flags = CHAT_SERVER_FLAGS.map((f, i) => (listener !== null && CHAT_SERVER_FLAGS[i - 1] === listener ? '0' : f));
  const args = [...opts.nodeArgs, SERVER_MAIN, ...flags, '--max-clients', limit, '--max-per-ip', limit, ...extra, ...opts.serverArgs];
  if (opts.proto === 'ws') return spawnBannerServer('chat-ws', args, 'ws', WEB_BANNER);
  if (opts.proto === 'irc') return spawnBannerServer('chat-irc', args, 'irc', IRC_BANNER);
  return spawnBannerServer('chat', args, 'text', TEXT_BANNER);
}

const ADDRESS = /^(tcp|ws|irc):\/\/([^/]+):(\d+)(\/[!-~]*)?$/;

/**
 * Servers already running: one address, or several of one scheme separated by commas (the nodes of
 * a cluster), over which clients are spread. Loopback only.
 */
function runningTarget(spec: string, pids: number[]): Target {
  const parts = spec.split(',').map((a) => ADDRESS.exec(a));
  const unknown = `unknown target ${spec} (chat, reference, redis, ngircd, inspircd, tcp://host:port, ws://host:port/path or irc://host:port, or several addresses of one scheme separated by commas)`;
  if (parts.some((m) => m === null || (m[1] !== 'ws' && m[4] !== undefined))) throw new Error(unknown);
  const ms = parts as RegExpExecArray[];
  const scheme = ms[0]![1]!;
  if (ms.some((m) => m[1] !== scheme || (m[4] ?? '/') !== (ms[0]![4] ?? '/'))) throw new Error(`${unknown}: all addresses need the same scheme and path`);
  const endpoints = ms.map((m) => {
    const host = m[2]!;
    if (!/^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(host)) throw new Error(`target ${spec}: the bench only drives loopback addresses`);
    return { host: host === 'localhost' ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1'), port: Number(m[3]) };
  });
  return {
    name: spec, proto: scheme === 'ws' ? 'ws' : scheme === 'irc' ? 'irc' : 'text', endpoints,
    wsPath: scheme === 'ws' ? ms[0]![4] ?? '/' : '', ircPass: true, maxLoginsInFlight: null, pids, busPid: null,
    receivers: (n) => n - 1,
    stop: async () => {},
  };
}

/** The line our server and the reference server print once they listen for the text protocol. */
const TEXT_BANNER = /Chat server running on (\S+):(\d+)/;
/** The line our server prints once its web listener (page and /ws) listens. */
const WEB_BANNER = /Web client on http:\/\/(\S+):(\d+)\//;
/** The line our server prints once its IRC listener listens (src/server/serve.ts; not the TLS one's `IRC over TLS on`). */
const IRC_BANNER = /IRC on (\S+):(\d+) \(/;

/**
 * Starts a node server and waits (≤ 20 s) for the banner line that gives the port to drive. Our
 * server prints `Accounts: ...` after every listener's line: seen without `bannerRe`, the wanted
 * listener is off (e.g. its port was busy) and waiting longer is pointless.
 */
async function spawnBannerServer(name: string, args: string[], proto: 'text' | 'ws' | 'irc', bannerRe: RegExp): Promise<Target> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  // Registered at once, so Ctrl-C while it starts (a cluster's nodes start together) stops it too.
  const stopProc = onCleanup(stopper(proc));
  let log = '';
  const banner = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => fail('no banner within 20 s'), 20_000);
    const fail = (why: string): void => { clearTimeout(timer); reject(new Error(`${name} server: ${why}\n${log.slice(-2000)}`)); };
    const onData = (d: Buffer): void => {
      log += d.toString('utf8');
      const m = bannerRe.exec(log);
      if (m !== null) { clearTimeout(timer); resolve({ host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) }); }
      else if (/Accounts: /.test(log)) fail(`started without the line ${bannerRe.source}`);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => fail(`exited with ${code} before its banner`));
    proc.once('error', (e) => fail(e.message));
  }).catch(async (e: unknown) => { await stopProc(); throw e; });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  proc.stdout!.resume();
  proc.stderr!.resume();
  return {
    name, proto, endpoints: [{ host: banner.host, port: banner.port }], wsPath: proto === 'ws' ? '/ws' : '', ircPass: true, maxLoginsInFlight: null,
    pids: proc.pid === undefined ? [] : [proc.pid], busPid: null,
    receivers: (n) => n - 1,
    stop: stopProc,
  };
}

export function redisAvailable(): boolean {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
}

/** Starts a throw-away redis-server on a free loopback port, without persistence. */
export async function startRedis(maxConnections: number): Promise<Target> {
  if (!redisAvailable()) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const port = await freePort();
  const started = await spawnListening('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--maxclients', String(Math.max(maxConnections + 100, 10_000)), '--protected-mode', 'no', '--loglevel', 'warning'], port);
  return {
    name: 'redis', proto: 'redis', endpoints: [{ host: '127.0.0.1', port }], wsPath: '', ircPass: false, maxLoginsInFlight: null,
    pids: started.pid === null ? [] : [started.pid], busPid: null,
    receivers: (n) => n,
    stop: started.stop,
  };
}
