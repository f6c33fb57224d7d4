import type { ClassName, ClassSeries, SimResult } from './run.js';
import { SUMMARY_HEADER, summaryRow } from './summary.js';

/**
 * A self-contained SVG of a simulation: one panel per measure over time, one line per client class,
 * the command line and the summary table. No chart library: a few scales and polylines. Every line
 * carries its raw numbers (data-values) so the chart can be checked against the summary.
 */

const COLORS: Record<ClassName, string> = { fast: '#1f77b4', slow: '#ff7f0e', frozen: '#d62728', limited: '#2ca02c' };
/** Layout in SVG pixels: chart width, margins, panel height and gap, table row height. */
const L = { width: 960, left: 72, right: 24, panelH: 140, panelGap: 46, rowH: 16 } as const;

interface Panel {
  title: string;
  metric: keyof Pick<ClassSeries, 'depth' | 'window' | 'delivered' | 'dropped' | 'latencyMs'>;
  log?: boolean;
  /** Value plotted at interval i, from the raw series value. */
  plot(s: ClassSeries, i: number, raw: number, dt: number): number;
}

const PANELS: Panel[] = [
  { title: 'Queue depth (messages; the fullest client of the class, per interval)', metric: 'depth', plot: (_s, _i, v) => v },
  { title: 'Congestion window (messages; mean over the class)', metric: 'window', plot: (_s, _i, v) => v },
  { title: 'Delivered (messages per second per client)', metric: 'delivered', plot: (s, _i, v, dt) => v / s.clients / dt },
  { title: 'Dropped (messages per second per client)', metric: 'dropped', plot: (s, _i, v, dt) => v / s.clients / dt },
  { title: 'Latency (ms, typed to read; mean per interval; log scale)', metric: 'latencyMs', log: true, plot: (_s, _i, v) => v },
];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toPrecision(3));
}

function panelSvg(r: SimResult, p: Panel, top: number): string {
  const plotW = L.width - L.left - L.right;
  const tMax = r.times.at(-1) ?? 1;
  const x = (t: number) => L.left + (t / tMax) * plotW;
  const values = r.classes.map((s) => s[p.metric].map((raw, i) => p.plot(s, i, raw, r.times[i]! - (i > 0 ? r.times[i - 1]! : 0))));
  const finite = values.flat().filter((v) => Number.isFinite(v) && (!p.log || v > 0));
  let y: (v: number) => number;
  const ticks: number[] = [];
  if (p.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...finite, 1))));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...finite, lo * 10)));
    y = (v) => top + L.panelH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * L.panelH;
    for (let t = lo; t <= hi * 1.001; t *= 10) ticks.push(t);
  } else {
    const hi = niceMax(Math.max(0, ...finite));
    y = (v) => top + L.panelH - (v / hi) * L.panelH;
    for (let i = 0; i <= 4; i++) ticks.push((hi * i) / 4);
  }
  const out: string[] = [`<g class="panel" data-metric="${p.metric}">`];
  out.push(`<text x="${L.left}" y="${top - 8}" class="h">${escapeXml(p.title)}</text>`);
  out.push(`<rect x="${L.left}" y="${top}" width="${plotW}" height="${L.panelH}" class="frame"/>`);
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    out.push(`<line x1="${L.left}" x2="${L.width - L.right}" y1="${ty}" y2="${ty}" class="grid"/><text x="${L.left - 6}" y="${ty}" dy="4" class="yl">${fmt(t)}</text>`);
  }
  const step = niceMax(tMax / 8);
  for (let t = 0; t <= tMax + 1e-9; t += step) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + L.panelH}" class="grid"/><text x="${tx}" y="${top + L.panelH + 14}" class="xl">${fmt(t)} s</text>`);
  }
  r.classes.forEach((s, k) => {
    const raw = s[p.metric];
    out.push(`<g data-class="${s.name}" data-values="${raw.map((v) => (Number.isFinite(v) ? +v.toFixed(3) : 'NaN')).join(',')}">`);
    let seg: string[] = [];
    const flush = () => {
      if (seg.length > 1) out.push(`<polyline points="${seg.join(' ')}" stroke="${COLORS[s.name]}"/>`);
      else if (seg.length === 1) out.push(`<circle cx="${seg[0]!.split(',')[0]}" cy="${seg[0]!.split(',')[1]}" r="1.5" fill="${COLORS[s.name]}"/>`);
      seg = [];
    };
    values[k]!.forEach((v, i) => {
      if (!Number.isFinite(v) || (p.log && v <= 0)) return flush();
      seg.push(`${x(r.times[i]!).toFixed(1)},${y(v).toFixed(1)}`);
    });
    flush();
    out.push('</g>');
  });
  out.push('</g>');
  return out.join('\n');
}

/** The chart as an SVG document. */
export function renderSvg(r: SimResult, command: string, title: string): string {
  const panels = PANELS.filter((p) => p.metric !== 'window' || r.options.cc === 'aimd');
  const top0 = 104;
  const tableTop = top0 + panels.length * (L.panelH + L.panelGap) + 8;
  const rows = r.summary.map(summaryRow);
  const H = tableTop + (rows.length + 2) * L.rowH + 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${H}" viewBox="0 0 ${L.width} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    '<style>.h{font-weight:bold}.frame{fill:none;stroke:#999}.grid{stroke:#e6e6e6}.yl{text-anchor:end;fill:#555;font-size:10px}.xl{text-anchor:middle;fill:#555;font-size:10px}polyline{fill:none;stroke-width:1.6}.mono{font-family:Menlo, Consolas, monospace;font-size:11px}</style>',
    `<rect width="${L.width}" height="${H}" fill="#fff"/>`,
    `<text x="${L.left}" y="26" font-size="17" class="h">${escapeXml(title)}</text>`,
    `<text x="${L.left}" y="46" class="mono">$ ${escapeXml(command)}</text>`,
  ];
  let lx = L.left;
  for (const s of r.classes) {
    out.push(`<rect x="${lx}" y="62" width="14" height="4" fill="${COLORS[s.name]}"/><text x="${lx + 20}" y="68">${s.name} (${s.clients})</text>`);
    lx += 130;
  }
  panels.forEach((p, i) => out.push(panelSvg(r, p, top0 + i * (L.panelH + L.panelGap))));
  out.push(`<g id="summary" class="mono"><text x="${L.left}" y="${tableTop}" class="h">Summary</text>`);
  const cols = SUMMARY_HEADER.length;
  const colX = (j: number) => L.left + j * ((L.width - L.left - L.right) / cols);
  [SUMMARY_HEADER.slice(), ...rows].forEach((row, i) => {
    row.forEach((cell, j) => {
      out.push(`<text x="${colX(j).toFixed(1)}" y="${tableTop + (i + 1) * L.rowH}" data-row="${i}" data-col="${j}">${escapeXml(cell)}</text>`);
    });
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

/** The same chart inside a minimal HTML page. */
export function renderHtml(r: SimResult, command: string, title: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head>\n<body>\n${renderSvg(r, command, title)}</body></html>\n`;
}
