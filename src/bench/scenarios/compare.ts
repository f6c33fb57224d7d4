import type { BenchReport, CompareMetric, ScenarioResult } from '../results.js';

/** The figures `bench compare` puts side by side for each scenario. */
function headline(r: ScenarioResult): Record<string, number | null> {
  switch (r.scenario) {
    case 'room': {
      const p = r.points[r.points.length - 1]!;
      return { 'deliveries/s': p.deliveriesPerSec, 'loss %': p.lossPct, 'p50 ms': p.latency.p50Ms, 'p99 ms': p.latency.p99Ms, 'max ms': p.latency.maxMs, 'logins/s': p.logins.loginsPerSec };
    }
    case 'firehose': {
      const top = r.steps.reduce((m, p) => Math.max(m, p.deliveriesPerSec), 0);
      const last = r.steps[r.steps.length - 1];
      return { 'best lossless rate': r.best, 'peak deliveries/s': top, 'last step loss %': last?.lossPct ?? null, 'last step p99 ms': last?.latency.p99Ms ?? null };
    }
    case 'idle':
      return { alive: r.alive, 'RSS per connection KiB': r.rssPerConnKiB, 'logins/s': r.logins.loginsPerSec };
    case 'logins':
      return { 'logins/s': r.loginsPerSec, 'login p99 ms': r.login.p99Ms };
  }
}

function ratioOf(va: number | null, vb: number | null): number | null {
  return va !== null && vb !== null && vb !== 0 ? Math.round((va / vb) * 1000) / 1000 : null;
}

/** The headline figures of every run, with the first run's divided by each other's. */
export function compareMetrics(runs: BenchReport[]): CompareMetric[] {
  const heads = runs.map((r) => headline(r.result));
  return Object.keys(heads[0] ?? {}).map((name) => {
    const values = heads.map((h) => h[name] ?? null);
    const ratios = values.slice(1).map((v) => ratioOf(values[0] ?? null, v));
    return { name, a: values[0] ?? null, b: values[1] ?? null, ratio: ratios[0] ?? null, values, ratios };
  });
}
