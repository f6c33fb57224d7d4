import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { cleanupAll } from './cleanup.js';
import { BENCH_HELP, COMPARE_HELP, SCENARIO_HELP } from './help.js';
import { SCENARIOS, UsageError, parseOptions, type BenchOptions, type Scenario } from './options.js';
import { Progress } from './progress.js';
import { renderCompare, renderReport } from './report-table.js';
import { SCHEMA, newReport, saveJson, type BenchReport, type CompareReport, type ScenarioResult } from './results.js';
import { machineInfo } from './machine.js';
import { renderChart, type ChartSeries } from './chart-svg.js';
import { compareMetrics } from './scenarios/compare.js';
import { runRoom } from './scenarios/room.js';
import { runFirehose } from './scenarios/firehose.js';
import { runIdle } from './scenarios/idle.js';
import { runLogins } from './scenarios/logins.js';
import type { ScenarioRun } from './scenarios/session.js';
import { hostileCli } from './hostile.js';

const RUNNERS: Record<Scenario, (t: string, o: BenchOptions, p: Progress) => Promise<ScenarioRun<ScenarioResult>>> = {
  room: runRoom, firehose: runFirehose, idle: runIdle, logins: runLogins,
};

function isScenario(s: string | undefined): s is Scenario {
  return s !== undefined && (SCENARIOS as readonly string[]).includes(s);
}

/** `chat-server bench ...`: returns the exit status (0 ran, 1 failed, 2 usage). */
export async function runBenchCli(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(`${BENCH_HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  const command = `chat-server bench ${argv.join(' ')}`;
  let interrupted = false;
  const progress = new Progress();
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    progress.clear();
    process.stderr.write('bench: interrupted, closing connections and stopping servers…\n');
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (sub === 'chart') return chart(rest);
    if (sub === 'compare') return await compare(rest, command, progress);
    if (sub === 'hostile') return await hostileCli(rest, command, progress);
    if (!isScenario(sub)) throw new UsageError(`unknown scenario ${sub} (room, firehose, idle, logins, hostile, compare, chart)`);
    const o = parseOptions(sub, rest);
    if (o.help) { process.stdout.write(`${SCENARIO_HELP[sub]}\n`); return 0; }
    if (o.targets.length > 1) throw new UsageError('one --target per run; use `bench compare` for two');
    if (o.protos !== null) throw new UsageError('--protos is for `bench compare`; a single run takes --proto');
    const report = await runOne(sub, o.targets[0] ?? 'chat', o, command, progress);
    const saved = o.save ? saveJson(o.resultsDir, `${sub}-${report.target.name}`, report) : null;
    if (sub === 'room' && o.svg !== null && report.result.scenario === 'room') {
      writeSvg(o.svg, renderChart([seriesOf(report)], 'room'));
    }
    emit(o, report, renderReport(report), saved);
    return 0;
  } catch (e) {
    progress.clear();
    if (e instanceof UsageError) {
      process.stderr.write(`chat-server bench: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`chat-server bench: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    await cleanupAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function runOne(s: Scenario, target: string, o: BenchOptions, command: string, progress: Progress): Promise<BenchReport> {
  const run = await RUNNERS[s](target, o, progress);
  progress.clear();
  return newReport(command, run.target, run.workers, run.result, run.problems);
}

function emit(o: BenchOptions, data: BenchReport | CompareReport, text: string, saved: string | null): void {
  if (o.json) {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    if (saved !== null) process.stderr.write(`saved ${saved}\n`);
  } else {
    process.stdout.write(text);
    if (saved !== null) process.stdout.write(`saved ${saved}\n`);
  }
}

/** `bench compare <scenario> --target A --target B [--target C ...]`: all runs in one invocation, then the ratios to A. */
async function compare(argv: string[], command: string, progress: Progress): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    process.stdout.write(`${COMPARE_HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (!isScenario(sub)) throw new UsageError(`unknown scenario ${sub}`);
  const o = parseOptions(sub, rest);
  if (o.help) { process.stdout.write(`${SCENARIO_HELP[sub]}\n`); return 0; }
  const runs: BenchReport[] = [];
  for (const [t, ot] of compareRuns(o)) runs.push(await runOne(sub, t, ot, command, progress));
  const [a, b, ...more] = runs as [BenchReport, BenchReport, ...BenchReport[]];
  const report: CompareReport = {
    schema: SCHEMA, kind: 'compare', date: new Date().toISOString(), command, machine: machineInfo(), scenario: sub,
    runs: [a, b, ...more], metrics: compareMetrics(runs),
  };
  const saved = o.save ? saveJson(o.resultsDir, `compare-${sub}-${runs.map((r) => r.target.name).join('-vs-')}`, report) : null;
  if (sub === 'room' && o.svg !== null) writeSvg(o.svg, renderChart(runs.map(seriesOf), 'room'));
  emit(o, report, renderCompare(report), saved);
  return 0;
}

/** Most targets one compare runs (each one after the other, so a run takes N times as long). */
export const MAX_COMPARE_TARGETS = 4;

/**
 * The runs of a compare: two to four targets with the same options (--proto applies to `chat`;
 * ws:// and IRC-only targets speak their own protocol), or (--protos A,B) one target, by default
 * our server, spoken to once per protocol.
 */
function compareRuns(o: BenchOptions): Array<[string, BenchOptions]> {
  if (o.protos !== null) {
    if (o.targets.length > 1) throw new UsageError('--protos compares one target over two protocols: give at most one --target');
    const t = o.targets[0] ?? 'chat';
    return o.protos.map((p) => [t, { ...o, proto: p }]);
  }
  if (o.targets.length === 1 || o.targets.length > MAX_COMPARE_TARGETS) {
    throw new UsageError(`compare takes 2 to ${MAX_COMPARE_TARGETS} --target (or none: chat and redis), or --protos A,B`);
  }
  const targets = o.targets.length > 0 ? o.targets : ['chat', 'redis'];
  return targets.map((t) => [t, o]);
}

function seriesOf(r: BenchReport): ChartSeries {
  if (r.result.scenario !== 'room') throw new UsageError(`${r.target.name}: only room results can be charted`);
  return {
    label: r.target.name,
    points: r.result.points.map((p) => ({ clients: p.clients, p50Ms: p.latency.p50Ms, p99Ms: p.latency.p99Ms, maxMs: p.latency.maxMs, deliveriesPerSec: p.deliveriesPerSec })),
  };
}

function writeSvg(path: string, svg: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}

/** `bench chart FILE... --out X.svg`: one series per room run found in the files (compare files hold two). */
function chart(argv: string[]): number {
  let out: string | null = null;
  let title = 'room';
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { process.stdout.write('chat-server bench chart RESULT.json... --out CHART.svg [--title T]\n'); return 0; }
    if (a === '--out') out = argv[++i] ?? null;
    else if (a === '--title') title = argv[++i] ?? title;
    else files.push(a);
  }
  if (out === null || files.length === 0) throw new UsageError('chart needs result files and --out FILE.svg');
  const series: ChartSeries[] = [];
  for (const f of files) {
    const data: unknown = JSON.parse(readFileSync(f, 'utf8'));
    if (typeof data !== 'object' || data === null || !('schema' in data) || data.schema !== SCHEMA) throw new UsageError(`${f}: not a ${SCHEMA} report`);
    const rep = data as BenchReport | CompareReport;
    for (const r of rep.kind === 'compare' ? rep.runs : [rep]) series.push(seriesOf(r));
  }
  writeSvg(out, renderChart(series, title));
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}
