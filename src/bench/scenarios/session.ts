import { WorkerPool } from '../pool.js';
import { startTarget, type Target } from '../targets.js';
import { onCleanup } from '../cleanup.js';
import { summarize, type LatencySummary } from '../latency-recorder.js';
import { nowMicros } from '../clock.js';
import type { BenchOptions } from '../options.js';
import type { Progress } from '../progress.js';

/** Generator processes hold at most this many sockets each, well under the 20,000 open-file limit. */
export const MAX_SOCKETS_PER_WORKER = 9_000;

/** A target plus the generator processes driving it, torn down together. */
export interface Session {
  target: Target;
  pool: WorkerPool;
  opts: BenchOptions;
  progress: Progress;
  close(): Promise<void>;
}

export async function openSession(targetSpec: string, opts: BenchOptions, progress: Progress, maxConnections: number): Promise<Session> {
  progress.update(`starting target ${targetSpec}…`, true);
  const target = await startTarget(targetSpec, {
    proto: opts.proto ?? 'text', serverArgs: opts.serverArgs, nodeArgs: opts.nodeArgs, serverPids: opts.serverPids, maxConnections,
    nodes: opts.nodes, viaRedis: opts.viaRedis,
  });
  const stopTarget = onCleanup(() => target.stop());
  const workers = Math.max(opts.workers, Math.ceil(maxConnections / MAX_SOCKETS_PER_WORKER));
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start(workers, {
      endpoints: [...target.endpoints], proto: target.proto, wsPath: target.wsPath, ircPass: target.ircPass, userPattern: opts.userPattern, passPattern: opts.passPattern,
      channel: opts.channel, totalClients: maxConnections, loginTimeoutMs: opts.loginTimeoutS * 1000,
    });
  } catch (e) {
    await stopTarget();
    throw e;
  }
  const closePool = onCleanup(() => pool.close());
  return {
    target, pool, opts, progress,
    async close() {
      progress.update('closing connections…', true);
      await closePool();
      await stopTarget();
      progress.clear();
    },
  };
}

/**
 * What a report says of its target: `pid` is the first server process (null when unknown), `pids`
 * every one (the nodes of a cluster), `nodes` how many addresses clients were spread over, `busPid`
 * the Redis of a cluster the bench started.
 */
export interface TargetInfo { name: string; proto: string; pid: number | null; pids: number[]; nodes: number; busPid: number | null }

export function targetInfo(t: Target): TargetInfo {
  return { name: t.name, proto: t.proto, pid: t.pids[0] ?? null, pids: [...t.pids], nodes: t.endpoints.length, busPid: t.busPid };
}

/** What every scenario hands back: the target it ran against and its verdict. */
export interface ScenarioRun<R> {
  target: TargetInfo;
  workers: number;
  result: R;
  /** Correctness problems (failed logins, loss, duplicates); empty when all added up. */
  problems: string[];
}

/** Opens a session, runs `body`, and always closes the session (sockets, workers, target). */
export async function withSession<R>(
  targetSpec: string, opts: BenchOptions, progress: Progress, maxConnections: number,
  body: (s: Session) => Promise<{ result: R; problems: string[] }>,
): Promise<ScenarioRun<R>> {
  const s = await openSession(targetSpec, opts, progress, maxConnections);
  try {
    const { result, problems } = await body(s);
    return { target: targetInfo(s.target), workers: s.pool.size, result, problems };
  } finally {
    await s.close();
  }
}

/**
 * Fails the run when not one client logged in (a wrong --pass-pattern, a target that refuses): there
 * is nothing to measure, and a report of zeros must not pass for a result with exit status 0.
 */
export function requireLogins(s: Session, ok: number, errors: string[]): void {
  if (ok > 0) return;
  throw new Error(`no client could log in to ${s.target.name}; first failure: ${errors[0] ?? 'none reported'}`);
}

export function loginProblems(l: LoginSummary): string[] {
  return l.failed > 0 ? [`${l.failed} of ${l.attempted} logins failed: ${l.errors.join('; ')}`] : [];
}

export interface LoginSummary {
  attempted: number;
  ok: number;
  failed: number;
  errors: string[];
  elapsedS: number;
  loginsPerSec: number;
  connect: LatencySummary;
  login: LatencySummary;
}

/** --concurrency, capped where the target drops connects beyond a smaller number (ngIRCd). */
export function loginsInFlight(s: Session, concurrency: number): number {
  return Math.min(concurrency, s.target.maxLoginsInFlight ?? concurrency);
}

/** Logs in clients `from`..`to`-1 across the workers; `rooms` > 0 spreads them over that many rooms/channels. */
export async function loginRange(s: Session, from: number, to: number, rooms: number): Promise<LoginSummary> {
  const ids = Array.from({ length: to - from }, (_, k) => from + k);
  const perWorker = Math.max(1, Math.ceil(loginsInFlight(s, s.opts.concurrency) / s.pool.size));
  const t0 = Date.now();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await sleep(250);
      if (!polling) break;
      const c = await s.pool.all((w) => w.call({ op: 'counts' }));
      s.progress.update(`logging in: ${sum(c.map((x) => x.alive))}/${to} clients`);
    }
  })();
  const replies = await s.pool.all((w, i) => w.call({ op: 'login', ids: s.pool.share(ids, i), concurrency: perWorker, rooms }));
  const elapsedS = (Date.now() - t0) / 1000;
  polling = false;
  await poll;
  const ok = sum(replies.map((r) => r.ok));
  return {
    attempted: ids.length, ok, failed: sum(replies.map((r) => r.failed)),
    errors: replies.flatMap((r) => r.errors).slice(0, 5),
    elapsedS, loginsPerSec: Math.round(ok / Math.max(elapsedS, 0.001)),
    connect: summarize(replies.map((r) => r.connect)), login: summarize(replies.map((r) => r.login)),
  };
}

/**
 * Waits until the clients stop receiving lines (the join announcements of a mass login are
 * N²/2 lines in our protocol) so they do not pollute the measurement: quiet for 500 ms, at most `maxS`.
 */
export async function settle(s: Session, maxS = 120): Promise<number> {
  const deadline = Date.now() + maxS * 1000;
  let last = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const c = await s.pool.all((w) => w.call({ op: 'counts' }));
    const lines = sum(c.map((x) => x.lines));
    if (lines !== last) { last = lines; quietSince = Date.now(); }
    else if (Date.now() - quietSince >= 500) break;
    s.progress.update(`settling: ${lines} announcement lines received`);
    await sleep(100);
  }
  return last;
}

export function sum(xs: number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { nowMicros };
