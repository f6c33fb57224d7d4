import type { BenchOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { IdleResult } from '../results.js';
import { readRssKiB, sumOver } from '../proc-stats.js';
import { loginProblems, loginRange, requireLogins, settle, sleep, sum, withSession, type ScenarioRun } from './session.js';

/**
 * idle: N connections log in and stay --duration seconds without sending. Reports how many are
 * still alive at the end and the server's RSS per connection above the empty server (VmRSS from
 * /proc; needs the pid: known when the bench starts the target, else --server-pid). --rooms K
 * spreads the clients over K rooms (/join, or K Redis channels) so a mass login does not cost N²/2
 * join announcements; 0 keeps everyone in the lobby (the only choice for the seed server).
 */
export async function runIdle(targetSpec: string, o: BenchOptions, progress: Progress): Promise<ScenarioRun<IdleResult>> {
  const n = o.clients[0]!;
  return withSession(targetSpec, o, progress, n, async (s) => {
    const rss = (): number | null => sumOver(s.target.pids, readRssKiB);
    const rssEmptyKiB = rss();
    const logins = await loginRange(s, 0, n, o.rooms);
    requireLogins(s, logins.ok, logins.errors);
    const problems = loginProblems(logins);
    await settle(s);
    const rssLoggedInKiB = rss();
    const cpu0 = s.pool.cpuMicros();
    const t0 = Date.now();
    const end = t0 + o.durationS * 1000;
    let alive = logins.ok;
    while (Date.now() < end) {
      await sleep(Math.min(1_000, Math.max(0, end - Date.now())));
      alive = sum((await s.pool.all((w) => w.call({ op: 'counts' }))).map((c) => c.alive));
      const now = rss();
      progress.update(`idle: ${((Date.now() - t0) / 1000).toFixed(0)}/${o.durationS}s, ${alive} alive${now !== null ? `, server RSS ${(now / 1024).toFixed(1)} MiB` : ''}`);
    }
    const counts = await s.pool.all((w) => w.call({ op: 'counts' }));
    alive = sum(counts.map((c) => c.alive));
    const closed: Record<string, number> = {};
    for (const c of counts) for (const [why, k] of Object.entries(c.closed)) closed[why] = (closed[why] ?? 0) + k;
    const rssEndKiB = rss();
    const generatorCpuPct = Math.round(((s.pool.cpuMicros() - cpu0) / 1000 / Math.max(1, Date.now() - t0)) * 1000) / 10;
    if (alive < logins.ok) {
      const why = Object.entries(closed).map(([reason, k]) => `${reason}: ${k}`).join(', ');
      problems.push(`${logins.ok - alive} of ${logins.ok} idle connections were closed (${why || 'reason unknown'})`);
    }
    const rssPerConnKiB = rssEmptyKiB !== null && rssEndKiB !== null && alive > 0
      ? Math.round(((rssEndKiB - rssEmptyKiB) / alive) * 100) / 100 : null;
    const result: IdleResult = {
      scenario: 'idle', clients: n, logins, durationS: o.durationS, alive, closed, rssEmptyKiB, rssLoggedInKiB, rssEndKiB, rssPerConnKiB, generatorCpuPct,
    };
    return { result, problems };
  });
}
