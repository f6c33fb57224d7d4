/**
 * A self-made SVG chart of room results: latency percentiles (left panel) and deliveries/s (right
 * panel) against the number of clients, one colour per target. Log scales, since client counts and
 * latencies both span orders of magnitude. No chart library: the output is plain, diff-able SVG.
 */
export interface ChartPoint {
  clients: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  deliveriesPerSec: number;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 460;
const H = 320;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Powers of ten covering [lo, hi], at least two. */
function decades(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(Math.max(lo, 1e-3)));
  const b = Math.max(a + 1, Math.ceil(Math.log10(Math.max(hi, 1e-3))));
  return Array.from({ length: b - a + 1 }, (_, i) => 10 ** (a + i));
}

function label(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

interface Panel {
  x0: number;
  title: string;
  yTitle: string;
  values: (p: ChartPoint) => Array<{ v: number; dash: string }>;
}

function panel(p: Panel, series: ChartSeries[], xTicks: number[]): string {
  const all = series.flatMap((s) => s.points.flatMap((pt) => p.values(pt).map((x) => x.v))).filter((v) => v > 0);
  const yTicks = decades(Math.min(...all, 1), Math.max(...all, 1));
  const lx = (v: number): number => Math.log10(v);
  const px = (c: number): number => p.x0 + M.left + ((lx(c) - lx(xTicks[0]!)) / (lx(xTicks[xTicks.length - 1]!) - lx(xTicks[0]!))) * (W - M.left - M.right);
  const py = (v: number): number => M.top + (1 - (lx(Math.max(v, yTicks[0]!)) - lx(yTicks[0]!)) / (lx(yTicks[yTicks.length - 1]!) - lx(yTicks[0]!))) * (H - M.top - M.bottom);
  const out: string[] = [];
  out.push(`<text x="${p.x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${p.x0 + M.left}" x2="${p.x0 + W - M.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${p.x0 + M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${px(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(`<text x="${p.x0 + W / 2}" y="${H - 10}" text-anchor="middle">clients in the room</text>`);
  out.push(`<text transform="translate(${p.x0 + 14} ${H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yTitle)}</text>`);
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.clients - b.clients);
    const lines = pts.length > 0 ? p.values(pts[0]!).length : 0;
    for (let li = 0; li < lines; li++) {
      const coords = pts.map((pt) => `${px(pt.clients).toFixed(1)},${py(p.values(pt)[li]!.v).toFixed(1)}`);
      const dash = p.values(pts[0]!)[li]!.dash;
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${coords.join(' ')}"/>`);
      for (const c of coords) {
        const [x, y] = c.split(',');
        out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
      }
    }
  });
  return out.join('\n');
}

export function renderChart(series: ChartSeries[], title: string): string {
  const clients = series.flatMap((s) => s.points.map((p) => p.clients));
  const xTicks = decades(Math.min(...clients, 10), Math.max(...clients, 100));
  const latency: Panel = {
    x0: 0, title: `${title}: latency`, yTitle: 'ms (solid p50, dashed p99, dotted max)',
    values: (pt) => [{ v: pt.p50Ms, dash: '' }, { v: pt.p99Ms, dash: '6 4' }, { v: pt.maxMs, dash: '2 3' }],
  };
  const rate: Panel = { x0: W, title: `${title}: throughput`, yTitle: 'deliveries per second', values: (pt) => [{ v: pt.deliveriesPerSec, dash: '' }] };
  const legend = series.map((s, i) => {
    const y = H + 18 + i * 18;
    return `<rect x="${M.left}" y="${y - 10}" width="14" height="4" fill="${COLORS[i % COLORS.length]}"/><text x="${M.left + 20}" y="${y - 4}">${esc(s.label)}</text>`;
  }).join('\n');
  const height = H + 20 + series.length * 18;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${height}" viewBox="0 0 ${2 * W} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panel(latency, series, xTicks)}
${panel(rate, series, xTicks)}
${legend}
</svg>
`;
}
