import { extname } from 'node:path';
import type { CcMode, OverflowPolicy } from '../core/limits.js';

/** Everything `chat-server simulate` can be told. */
export interface SimOptions {
  fast: number;
  slow: number;
  /** Server-side send delay (--slow USER=MS) of each slow client. */
  slowMs: number;
  frozen: number;
  limited: number;
  /** Simulated bandwidth (--link-rate) of each limited client, bytes per second. */
  linkRate: number;
  /** Messages per second each fast client sends. */
  rate: number;
  /** Characters of text per message. */
  size: number;
  durationS: number;
  sampleMs: number;
  overflow: OverflowPolicy;
  cc: CcMode;
  queueSize: number;
  queueBytes: number;
  drainTimeoutS: number;
  /** Each simulated client's socket buffer (what a real kernel would absorb), bytes. */
  kernelBuffer: number;
  seed: number;
  out: string;
  title: string | undefined;
}

export const SIM_DEFAULTS: SimOptions = {
  fast: 20,
  slow: 5,
  slowMs: 200,
  frozen: 1,
  limited: 0,
  linkRate: 4000,
  rate: 2,
  size: 80,
  durationS: 20,
  sampleMs: 500,
  overflow: 'drop-newest',
  cc: 'aimd',
  queueSize: 10,
  queueBytes: 64 * 1024,
  drainTimeoutS: 5,
  kernelBuffer: 16 * 1024,
  seed: 1,
  out: 'simulate.svg',
  title: undefined,
};

interface Spec {
  key: keyof SimOptions;
  flag: string;
  arg: string;
  help: string;
  kind: 'int' | 'number' | 'string' | readonly string[];
  min?: number;
  max?: number;
}

const SPECS: readonly Spec[] = [
  { key: 'fast', flag: 'fast', arg: 'N', help: 'clients that read at once and send at --rate', kind: 'int', min: 0, max: 10_000 },
  { key: 'slow', flag: 'slow', arg: 'N', help: 'clients the server holds each message for --slow-ms', kind: 'int', min: 0, max: 10_000 },
  { key: 'slowMs', flag: 'slow-ms', arg: 'MS', help: 'send delay of the slow clients', kind: 'int', min: 1, max: 60_000 },
  { key: 'frozen', flag: 'frozen', arg: 'N', help: 'clients that never read (their socket buffer fills)', kind: 'int', min: 0, max: 10_000 },
  { key: 'limited', flag: 'limited', arg: 'N', help: 'clients behind a simulated link of --link-rate', kind: 'int', min: 0, max: 10_000 },
  { key: 'linkRate', flag: 'link-rate', arg: 'BYTES_PER_S', help: 'bandwidth of the limited clients', kind: 'int', min: 1, max: 1 << 30 },
  { key: 'rate', flag: 'rate', arg: 'MSGS_PER_S', help: 'messages per second each fast client sends', kind: 'number', min: 0, max: 10_000 },
  { key: 'size', flag: 'size', arg: 'CHARS', help: 'text length of each message', kind: 'int', min: 24, max: 4000 },
  { key: 'durationS', flag: 'duration', arg: 'SECONDS', help: 'how long senders send', kind: 'number', min: 1, max: 3600 },
  { key: 'sampleMs', flag: 'sample', arg: 'MS', help: 'chart resolution', kind: 'int', min: 50, max: 60_000 },
  { key: 'overflow', flag: 'overflow', arg: 'POLICY', help: 'drop-newest, drop-oldest or disconnect', kind: ['drop-newest', 'drop-oldest', 'disconnect'] },
  { key: 'cc', flag: 'cc', arg: 'MODE', help: 'aimd or none', kind: ['aimd', 'none'] },
  { key: 'queueSize', flag: 'queue-size', arg: 'N', help: 'per-client queue, messages', kind: 'int', min: 1, max: 1_000_000 },
  { key: 'queueBytes', flag: 'queue-bytes', arg: 'BYTES', help: 'per-client bound, bytes', kind: 'int', min: 1024, max: 1 << 30 },
  { key: 'drainTimeoutS', flag: 'drain-timeout', arg: 'SECONDS', help: 'close clients whose socket makes no progress (0 = never)', kind: 'int', min: 0, max: 86_400 },
  { key: 'kernelBuffer', flag: 'kernel-buffer', arg: 'BYTES', help: 'simulated socket buffer per client', kind: 'int', min: 0, max: 1 << 30 },
  { key: 'seed', flag: 'seed', arg: 'N', help: 'random seed of the senders', kind: 'int', min: 0, max: 2 ** 31 - 1 },
  { key: 'out', flag: 'out', arg: 'FILE', help: 'chart file: .svg, or .html for a page around it (checked before the run)', kind: 'string' },
  { key: 'title', flag: 'title', arg: 'TEXT', help: 'chart title', kind: 'string' },
];

export class SimUsageError extends Error {
  override readonly name = 'SimUsageError';
}

/** What simulate can write, by the --out file's extension (any case). */
export type ChartFormat = 'svg' | 'html';
const CHART_FORMATS: readonly ChartFormat[] = ['svg', 'html'];

export function chartFormat(file: string): ChartFormat | null {
  const ext = extname(file).slice(1).toLowerCase();
  return CHART_FORMATS.find((f) => f === ext) ?? null;
}

export function simHelp(): string {
  const rows = SPECS.map((s) => [`  --${s.flag} ${s.arg}`, `${s.help} [${String(SIM_DEFAULTS[s.key] ?? 'none')}]`]);
  const w = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  return [
    'Usage: chat-server simulate [options]',
    '',
    'Runs a chat server in this process with classes of simulated clients on in-memory sockets,',
    'samples every client\'s queue, window, deliveries, drops and latency, writes a chart and',
    'prints a summary table. Each fast client sends --rate messages per second to the room.',
    '',
    'Options:',
    ...rows.map(([l, r]) => `${l!.padEnd(w)}${r}`),
    `  ${'--help'.padEnd(w - 2)}show this help`,
    '',
  ].join('\n');
}

/** Parses argv; returns null for --help. Throws SimUsageError. */
export function parseSimArgs(argv: readonly string[]): SimOptions | null {
  const opts: SimOptions = { ...SIM_DEFAULTS };
  const rec = opts as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return null;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const spec = m ? SPECS.find((s) => s.flag === m[1]) : undefined;
    if (!m || !spec) throw new SimUsageError(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new SimUsageError(`--${spec.flag} needs a value (${spec.arg})`);
    if (spec.kind === 'string') {
      rec[spec.key] = raw;
    } else if (Array.isArray(spec.kind)) {
      if (!spec.kind.includes(raw)) throw new SimUsageError(`--${spec.flag} must be one of ${spec.kind.join(', ')}`);
      rec[spec.key] = raw;
    } else {
      const n = Number(raw);
      const ok = spec.kind === 'int' ? /^\d+$/.test(raw) : /^\d+(\.\d+)?$/.test(raw);
      if (!ok || n < (spec.min ?? 0) || n > (spec.max ?? Infinity)) throw new SimUsageError(`--${spec.flag} must be a ${spec.kind === 'int' ? 'whole ' : ''}number from ${spec.min} to ${spec.max}, got ${JSON.stringify(raw)}`);
      rec[spec.key] = n;
    }
  }
  if (opts.fast + opts.slow + opts.frozen + opts.limited === 0) throw new SimUsageError('no clients: give --fast, --slow, --frozen or --limited');
  if (opts.fast === 0 || opts.rate === 0) throw new SimUsageError('nobody sends: --fast and --rate must be above 0');
  if (chartFormat(opts.out) === null) {
    throw new SimUsageError(`--out must end in ${CHART_FORMATS.map((f) => `.${f}`).join(' or ')} (the chart formats simulate writes), got ${JSON.stringify(opts.out)}`);
  }
  return opts;
}

/** The options that differ from the defaults, as a command line (for the chart's caption). */
export function commandLine(opts: SimOptions): string {
  const parts = ['chat-server simulate'];
  for (const s of SPECS) {
    const v = opts[s.key];
    if (v !== SIM_DEFAULTS[s.key] && v !== undefined && s.key !== 'out' && s.key !== 'title') parts.push(`--${s.flag} ${String(v)}`);
  }
  return parts.join(' ');
}
