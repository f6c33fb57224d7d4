import type { ClassSummary, SimResult } from './run.js';

/** Latencies are end to end (typed -> read), in ms; `closed` = disconnected by the server. */
export const SUMMARY_HEADER = ['class', 'clients', 'closed', 'delivered', 'dropped', 'drop %', 'unsent', 'mean ms', 'p99 ms', 'max ms', 'window'] as const;

function num(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** One row of the summary as strings, in SUMMARY_HEADER order. The chart and stdout share it. */
export function summaryRow(s: ClassSummary): string[] {
  const total = s.delivered + s.dropped;
  return [
    s.name,
    String(s.clients),
    String(s.disconnected),
    String(s.delivered),
    String(s.dropped),
    total > 0 ? ((100 * s.dropped) / total).toFixed(1) : '-',
    String(s.unsent),
    num(s.latencyMeanMs, 1),
    num(s.latencyP99Ms, 1),
    num(s.latencyMaxMs, 1),
    num(s.window, 1),
  ];
}

/** The summary as an aligned plain-text table. */
export function summaryTable(r: SimResult): string {
  const rows = [SUMMARY_HEADER.slice(), ...r.summary.map(summaryRow)];
  const widths = SUMMARY_HEADER.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
