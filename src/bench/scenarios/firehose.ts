import type { BenchOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { FirehoseResult } from '../results.js';
import { runBroadcast, warmUp } from './broadcast.js';
import { loginProblems, loginRange, requireLogins, settle, withSession, type ScenarioRun } from './session.js';

/**
 * firehose: --clients (100) in one room, the first --senders (10) of them send; the offered rate
 * rises through --steps, each held for --step-duration and drained. The result is the curve and the
 * highest rate with zero loss and p99 ≤ --max-p99. Stepping stops at the first failing step unless
 * --keep-going. Loss past saturation is the measurement, not a defect; duplicates are a defect.
 */
export async function runFirehose(targetSpec: string, o: BenchOptions, progress: Progress): Promise<ScenarioRun<FirehoseResult>> {
  const n = o.clients[0]!;
  return withSession(targetSpec, o, progress, n, async (s) => {
    const logins = await loginRange(s, 0, n, 0);
    requireLogins(s, logins.ok, logins.errors);
    const problems = loginProblems(logins);
    await settle(s);
    const senders = Array.from({ length: Math.min(o.senders, n) }, (_, i) => i);
    const result: FirehoseResult = { scenario: 'firehose', warmupS: o.warmupS, logins, steps: [], best: null, maxP99Ms: o.maxP99Ms };
    const steps = [...o.steps].sort((a, b) => a - b);
    await warmUp(s, o.warmupS, { clients: logins.ok, senders, rate: steps[0]!, label: 'firehose' });
    for (const [k, rate] of steps.entries()) {
      const p = await runBroadcast(s, { phase: k + 1, clients: logins.ok, senders, rate, durationS: o.stepDurationS, label: `firehose ${rate}/s` });
      result.steps.push(p);
      if (p.extra > 0) problems.push(`${rate}/s: ${p.extra} deliveries beyond the expected count (duplicates)`);
      const pass = p.lost === 0 && p.latency.p99Ms <= o.maxP99Ms;
      if (pass) result.best = rate;
      else if (!o.keepGoing) break;
    }
    return { result, problems };
  });
}
