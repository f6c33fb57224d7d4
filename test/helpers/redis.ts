import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAIT_MS } from './wait.js';

/**
 * Real redis-server processes for the cluster and store tests (Debian's package; .ci/run installs
 * it). Each server listens on 127.0.0.1 on a free port, keeps nothing on disk (no RDB, no AOF, so
 * a restart loses everything, as an unconfigured Redis does), and is killed when the test process
 * exits.
 */

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Whether redis-server is installed (tests skip with a reason when it is not). */
export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisProc {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, then resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts again on the same port, empty (kill first). */
  start(): Promise<void>;
  /** Stops for good and removes the working directory. */
  stop(): Promise<void>;
  /** Runs redis-cli against this server and returns its stdout. */
  cli(...args: string[]): string;
}

/** A free TCP port on 127.0.0.1 (closed again at once; the server binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Spawns redis-server with `args` and resolves when it is ready; rejects with its output if it exits. */
function spawnRedis(port: number, dir: string, args: string[]): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} not ready after ${WAIT_MS} ms:\n${out}`)), WAIT_MS);
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.once('exit', (code) => {
      live.delete(proc);
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited (${code}):\n${out}`));
    });
  });
}

async function killed(proc: ChildProcess | undefined): Promise<void> {
  if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  await gone;
  live.delete(proc);
}

/**
 * One standalone redis-server. The port is chosen free; if another process takes it between the
 * check and the bind, a new port is tried (up to 5 times).
 */
export async function startRedis(extra: string[] = []): Promise<RedisProc> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-'));
  let port = 0;
  let proc: ChildProcess | undefined;
  for (let attempt = 0; proc === undefined; attempt++) {
    port = await freePort();
    try {
      proc = await spawnRedis(port, dir, extra);
    } catch (err: unknown) {
      if (attempt >= 4) throw err;
    }
  }
  const self: RedisProc = {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => killed(proc),
    async start() {
      // The port was ours a moment ago; the kernel frees it at once (SO_REUSEADDR in redis).
      proc = await spawnRedis(port, dir, extra);
    },
    async stop() {
      await killed(proc);
      rmSync(dir, { recursive: true, force: true });
    },
    cli: (...args: string[]) => redisCli(port, args),
  };
  return self;
}

function redisCli(port: number, args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: WAIT_MS });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export interface RedisClusterProcs {
  readonly masters: RedisProc[];
  /** Seed URLs of every master (a client takes any of them). */
  readonly urls: string[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `n` masters (default 3, no replicas) on this machine: n servers with
 * cluster-enabled, joined by `redis-cli --cluster create`, resolved once every node reports
 * cluster_state:ok.
 */
export async function startRedisCluster(n = 3): Promise<RedisClusterProcs> {
  const masters: RedisProc[] = [];
  for (let i = 0; i < n; i++) masters.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '5000']));
  const addrs = masters.map((m) => `127.0.0.1:${m.port}`);
  const r = spawnSync('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: WAIT_MS });
  if (r.status !== 0) throw new Error(`redis-cli --cluster create: ${r.stderr || r.stdout}`);
  const deadline = Date.now() + WAIT_MS;
  for (const m of masters) {
    while (!m.cli('cluster', 'info').includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error(`cluster on ${addrs.join(' ')} not ok after ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    masters,
    urls: masters.map((m) => m.url),
    async stop() {
      for (const m of masters) await m.stop();
    },
  };
}
