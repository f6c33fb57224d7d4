import type { BenchReport, CompareReport, ScenarioResult } from './results.js';
import type { BroadcastPoint } from './scenarios/broadcast.js';

/**
 * Plain-text tables for the terminal. Colour only marks the verdict, and only on a terminal with
 * NO_COLOR unset (https://no-color.org).
 */
const useColor = (): boolean => process.stdout.isTTY === true && !process.env['NO_COLOR'];
const paint = (code: string, s: string): string => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fmt(n: number | null, digits = 0): string {
  if (n === null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const POINT_HEAD = ['clients', 'offered/s', 'sent', 'delivered', 'loss %', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'gen CPU %', 'srv CPU %'];

function pointRow(p: BroadcastPoint, bus: boolean): string[] {
  return [fmt(p.clients), fmt(p.offeredRate), fmt(p.sent), fmt(p.delivered), fmt(p.lossPct, 2), fmt(p.deliveriesPerSec),
    fmt(p.latency.p50Ms, 1), fmt(p.latency.p99Ms, 1), fmt(p.latency.maxMs, 1), fmt(p.generatorCpuPct), fmt(p.serverCpuPct),
    ...(bus ? [fmt(p.busCpuPct)] : [])];
}

/** The points' header, with a Redis CPU column when the target is a cluster on a Redis the bench started. */
function pointHead(points: BroadcastPoint[]): { head: string[]; bus: boolean } {
  const bus = points.some((p) => p.busCpuPct !== null);
  return { head: bus ? [...POINT_HEAD, 'redis CPU %'] : POINT_HEAD, bus };
}

function kv(rows: Array<[string, string]>): string {
  return table(['', ''], rows);
}

function resultTable(r: ScenarioResult): string {
  switch (r.scenario) {
    case 'room': {
      const { head, bus } = pointHead(r.points);
      return table([...head, 'logins/s'], r.points.map((p) => [...pointRow(p, bus), fmt(p.logins.loginsPerSec)]));
    }
    case 'firehose': {
      const { head, bus } = pointHead(r.steps);
      return `${table([...head, 'pass'], r.steps.map((p) => [...pointRow(p, bus), p.lost === 0 && p.latency.p99Ms <= r.maxP99Ms ? 'yes' : 'no']))}\n` +
        `highest rate with zero loss and p99 ≤ ${r.maxP99Ms} ms: ${r.best === null ? 'none' : `${fmt(r.best)} msgs/s`}`;
    }
    case 'idle':
      return kv([
        ['connections', fmt(r.clients)], ['logged in', fmt(r.logins.ok)], ['logins/s', fmt(r.logins.loginsPerSec)],
        ['alive after', `${fmt(r.alive)} (${fmt(r.durationS)} s)`], ['server RSS empty', kib(r.rssEmptyKiB)],
        ['server RSS logged in', kib(r.rssLoggedInKiB)], ['server RSS at end', kib(r.rssEndKiB)],
        ['RSS per connection', r.rssPerConnKiB === null ? '– (no server pid)' : `${fmt(r.rssPerConnKiB, 2)} KiB`],
        ['generator CPU %', fmt(r.generatorCpuPct)],
      ]);
    case 'logins':
      return kv([
        ['sessions in flight', fmt(r.concurrency)], ['logins', fmt(r.ok)], ['failed', fmt(r.failed)], ['not closed after exit', fmt(r.notClosed)],
        ['elapsed s', fmt(r.elapsedS, 2)], ['logins/s', fmt(r.loginsPerSec)],
        ['connect p50 / p99 ms', `${fmt(r.connect.p50Ms, 2)} / ${fmt(r.connect.p99Ms, 2)}`],
        ['login p50 / p99 ms', `${fmt(r.login.p50Ms, 2)} / ${fmt(r.login.p99Ms, 2)}`],
        ['generator CPU %', fmt(r.generatorCpuPct)], ['server CPU %', fmt(r.serverCpuPct)],
        ...(r.busCpuPct === null ? [] : [['redis CPU %', fmt(r.busCpuPct)] as [string, string]]),
      ]);
  }
}

function kib(v: number | null): string {
  return v === null ? '–' : `${fmt(v / 1024, 1)} MiB`;
}

export function renderReport(rep: BenchReport): string {
  const verdict = rep.ok ? paint('32', 'OK: counts add up') : paint('31', `PROBLEMS:\n  ${rep.problems.join('\n  ')}`);
  const where = rep.target.nodes > 1 ? `, clients spread over ${rep.target.nodes} nodes` : '';
  return `${rep.result.scenario} against ${rep.target.name} (${rep.workers} generator processes${where})\n${resultTable(rep.result)}\n${verdict}\n`;
}

/** Each run's table, then the headline figures side by side with the first run ÷ each other (`ratio` when two). */
export function renderCompare(c: CompareReport): string {
  const [a, ...others] = c.runs;
  const ratioHead = others.length === 1 ? ['ratio'] : others.map((o) => `${a.target.name}/${o.target.name}`);
  const rows = c.metrics.map((m) => [m.name, ...m.values.map((v) => fmt(v, 2)), ...m.ratios.map((r) => fmt(r, 3))]);
  return `${c.runs.map(renderReport).join('\n')}\n${table(['metric', ...c.runs.map((r) => r.target.name), ...ratioHead], rows)}\n`;
}
