import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { Proto } from './worker-protocol.js';

const SERVER_MAIN = fileURLToPath(new URL('../server/main.js', import.meta.url));
const REFERENCE_MAIN = fileURLToPath(new URL('./reference-server.js', import.meta.url));

/** A server under test: where it listens, how to speak to it and, when known, its process id. */
export interface Target {
  /** As given on the command line (chat, reference, redis, tcp://host:port, ws://host:port/path); chat-ws for our server over WebSocket. */
  readonly name: string;
  readonly proto: Proto;
  readonly host: string;
  readonly port: number;
  /** The WebSocket endpoint's path for proto ws ('' otherwise). */
  readonly wsPath: string;
  /** For RSS and CPU readings from /proc; null when unknown (a tcp:// target without --server-pid). */
  readonly pid: number | null;
  /**
   * How many clients receive one message in a room of `n`: our protocol does not echo to the
   * sender (n - 1); Redis delivers to every subscriber including the publisher's own connection (n).
   */
  receivers(n: number): number;
  stop(): Promise<void>;
}

/** Which of our server's protocols the bench speaks to it (`--proto`). */
export type ChatProto = 'text' | 'ws';

export interface TargetOptions {
  /** For `chat`: the text protocol on its TCP port, or the browser protocol on its web port. */
  proto: ChatProto;
  /** Extra flags for our server (`--target chat`), after the bench's own. */
  serverArgs: string[];
  /** Flags for node itself when starting our server, e.g. --cpu-prof. */
  nodeArgs: string[];
  serverPid: number | null;
  /** Connections the target must accept (sizes max-clients and Redis maxclients). */
  maxConnections: number;
}

/** The flags the bench starts our server with: open auth and no flood control, so load is not throttled. */
export const CHAT_SERVER_FLAGS = ['--host', '127.0.0.1', '--port', '0', '--auth', 'open', '--flood-rate', '0',
  '--queue-size', '1000', '--log-messages', 'off', '--quiet', '--http-port', 'off', '--irc-port', 'off'];

export async function startTarget(spec: string, opts: TargetOptions): Promise<Target> {
  if (spec === 'chat') {
    const limit = String(Math.max(opts.maxConnections + 100, 10_000));
    const ws = opts.proto === 'ws';
    // Over WebSocket the server also listens on a free web port, and the bench connects there instead.
    const flags = CHAT_SERVER_FLAGS.map((f, i) => (ws && CHAT_SERVER_FLAGS[i - 1] === '--http-port' ? '0' : f));
    const args = [...opts.nodeArgs, SERVER_MAIN, ...flags, '--max-clients', limit, '--max-per-ip', limit, ...opts.serverArgs];
    return ws ? spawnBannerServer('chat-ws', args, 'ws', WEB_BANNER) : spawnBannerServer(spec, args, 'text', TEXT_BANNER);
  }
  if (opts.proto === 'ws' && !spec.startsWith('ws://')) throw new Error(`target ${spec} does not speak WebSocket (--proto ws wants chat or ws://host:port/ws)`);
  if (spec === 'reference') return spawnBannerServer(spec, [REFERENCE_MAIN, '0'], 'text', TEXT_BANNER);
  if (spec === 'redis') return startRedis(opts.maxConnections);
  const m = /^(tcp|ws):\/\/([^/]+):(\d+)(\/[!-~]*)?$/.exec(spec);
  if (m === null || (m[1] === 'tcp' && m[4] !== undefined)) throw new Error(`unknown target ${spec} (chat, reference, redis, tcp://host:port or ws://host:port/path)`);
  const host = m[2]!;
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(host)) throw new Error(`target ${spec}: the bench only drives loopback addresses`);
  return {
    name: spec, proto: m[1] === 'ws' ? 'ws' : 'text', host: host === 'localhost' ? '127.0.0.1' : host.replace(/^\[(.*)\]$/, '$1'), port: Number(m[3]),
    wsPath: m[1] === 'ws' ? m[4] ?? '/' : '', pid: opts.serverPid,
    receivers: (n) => n - 1,
    stop: async () => {},
  };
}

/** The line our server and the reference server print once they listen for the text protocol. */
const TEXT_BANNER = /Chat server running on (\S+):(\d+)/;
/** The line our server prints once its web listener (page and /ws) listens. */
const WEB_BANNER = /Web client on http:\/\/(\S+):(\d+)\//;

/**
 * Starts a node server and waits (≤ 20 s) for the banner line that gives the port to drive. Our
 * server prints `Accounts: ...` after every listener's line: seen without `bannerRe`, the wanted
 * listener is off (e.g. its port was busy) and waiting longer is pointless.
 */
async function spawnBannerServer(name: string, args: string[], proto: 'text' | 'ws', bannerRe: RegExp): Promise<Target> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const stopProc = stopper(proc);
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
    name, proto, host: banner.host, port: banner.port, wsPath: proto === 'ws' ? '/ws' : '', pid: proc.pid ?? null,
    receivers: (n) => n - 1,
    stop: stopProc,
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
function stopper(proc: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
}

/** A free loopback port: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
  const a = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (a === null || typeof a !== 'object') throw new Error('could not pick a free port');
  return a.port;
}

export function redisAvailable(): boolean {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p));
}

/** Starts a throw-away redis-server on a free loopback port, without persistence. */
async function startRedis(maxConnections: number): Promise<Target> {
  if (!redisAvailable()) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--maxclients', String(Math.max(maxConnections + 100, 10_000)), '--protected-mode', 'no', '--loglevel', 'warning'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const stopProc = stopper(proc);
  let log = '';
  const onData = (d: Buffer): void => { log += d.toString('utf8'); };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await canConnect(port)) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stopProc();
      throw new Error(`redis-server did not start on port ${port}:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: 'redis', proto: 'redis', host: '127.0.0.1', port, wsPath: '', pid: proc.pid ?? null,
    receivers: (n) => n,
    stop: stopProc,
  };
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
