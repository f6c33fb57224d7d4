import type { BenchOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { LoginsResult } from '../results.js';
import { summarize } from '../latency-recorder.js';
import { cpuPercent, readCpuMicros, sumOver } from '../proc-stats.js';
import { loginsInFlight, requireLogins, sum, withSession, type ScenarioRun } from './session.js';

/**
 * logins: --concurrency sessions in flight, each looping connect → log in → `exit` (QUIT for Redis)
 * → wait for the server's close, until --count sessions or --duration seconds. Slot k always uses
 * user k+1, so a fixed account list (the seed's user1..N) works as long as N ≥ --concurrency; the
 * server must have ended a session before its name logs in again, hence the wait for the close.
 * Churn keeps the room small, so the rate is not dominated by N² join announcements.
 */
export async function runLogins(targetSpec: string, o: BenchOptions, progress: Progress): Promise<ScenarioRun<LoginsResult>> {
  return withSession(targetSpec, o, progress, o.concurrency, async (s) => {
    const c = loginsInFlight(s, o.concurrency);
    const slots = Array.from({ length: c }, (_, i) => i);
    const cpu0 = s.pool.cpuMicros();
    const srv0 = sumOver(s.target.pids, readCpuMicros);
    const bus0 = readCpuMicros(s.target.busPid);
    const t0 = Date.now();
    const timer = setInterval(() => progress.update(`logins: ${((Date.now() - t0) / 1000).toFixed(0)}/${o.durationS}s`), 250);
    const W = s.pool.size;
    const replies = await s.pool.all((w, i) => w.call({
      op: 'churn', slots: s.pool.share(slots, i), count: Math.ceil(o.count / W), deadlineMs: o.durationS * 1000,
    })).finally(() => clearInterval(timer));
    const wallMs = Date.now() - t0;
    await s.pool.all((w) => w.call({ op: 'counts' }));
    const ok = sum(replies.map((r) => r.ok));
    const elapsedS = Math.max(...replies.map((r) => r.elapsedMs)) / 1000;
    const result: LoginsResult = {
      scenario: 'logins', concurrency: c, ok, failed: sum(replies.map((r) => r.failed)), notClosed: sum(replies.map((r) => r.notClosed)),
      errors: replies.flatMap((r) => r.errors).slice(0, 5), elapsedS, loginsPerSec: Math.round(ok / Math.max(elapsedS, 0.001)),
      connect: summarize(replies.map((r) => r.connect)), login: summarize(replies.map((r) => r.login)),
      generatorCpuPct: Math.round(((s.pool.cpuMicros() - cpu0) / 1000 / wallMs) * 1000) / 10,
      serverCpuPct: cpuPercent(srv0, sumOver(s.target.pids, readCpuMicros), wallMs),
      busCpuPct: cpuPercent(bus0, readCpuMicros(s.target.busPid), wallMs),
    };
    requireLogins(s, ok, result.errors);
    const problems: string[] = [];
    if (result.failed > 0) problems.push(`${result.failed} logins failed: ${result.errors.join('; ')}`);
    if (result.notClosed > 0) problems.push(`${result.notClosed} sessions were not closed by the server after exit`);
    return { result, problems };
  });
}
