import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from './machine.js';
import type { BroadcastPoint } from './scenarios/broadcast.js';
import type { LoginSummary, TargetInfo } from './scenarios/session.js';
import type { LatencySummary } from './latency-recorder.js';
import type { HostileReport } from './hostile.js';

/** Version tag of the JSON below; bump when a field changes meaning. */
export const SCHEMA = 'chat-bench/1';

export interface RoomResult {
  scenario: 'room';
  /** Seconds of unmeasured sending before each point. */
  warmupS: number;
  /** One point per --clients value, in the order run (the room grows between points). */
  points: Array<BroadcastPoint & { logins: LoginSummary }>;
}

export interface FirehoseResult {
  scenario: 'firehose';
  /** Seconds of unmeasured sending at the first step's rate before the steps. */
  warmupS: number;
  logins: LoginSummary;
  steps: BroadcastPoint[];
  /** Highest offered rate with zero loss and p99 ≤ maxP99Ms; null when no step passed. */
  best: number | null;
  maxP99Ms: number;
}

export interface IdleResult {
  scenario: 'idle';
  clients: number;
  logins: LoginSummary;
  durationS: number;
  alive: number;
  /** Logged-in connections that closed during the run, by reason (socket error or the server's FIN). */
  closed: Record<string, number>;
  rssEmptyKiB: number | null;
  rssLoggedInKiB: number | null;
  rssEndKiB: number | null;
  /** (rssEnd − rssEmpty) / alive; null without a server pid. RSS figures are summed over a cluster's nodes (Redis not included). */
  rssPerConnKiB: number | null;
  generatorCpuPct: number;
}

export interface LoginsResult {
  scenario: 'logins';
  concurrency: number;
  ok: number;
  failed: number;
  /** Sessions the server did not close within 5 s of `exit` / QUIT. */
  notClosed: number;
  errors: string[];
  elapsedS: number;
  loginsPerSec: number;
  connect: LatencySummary;
  login: LatencySummary;
  generatorCpuPct: number;
  /** Every server process together (the sum over a cluster's nodes), % of one core. */
  serverCpuPct: number | null;
  /** The cluster's Redis, % of one core; null without one. */
  busCpuPct: number | null;
}

export type ScenarioResult = RoomResult | FirehoseResult | IdleResult | LoginsResult;

/** One scenario run against one target, as written to bench/results/ and printed by --json. */
export interface BenchReport {
  schema: typeof SCHEMA;
  kind: 'run';
  date: string;
  command: string;
  machine: MachineInfo;
  target: TargetInfo;
  workers: number;
  /** Correctness verdict: every login worked and no message was lost or duplicated. */
  ok: boolean;
  problems: string[];
  result: ScenarioResult;
}

export interface CompareMetric {
  name: string;
  /** The first and second run's figure, and first ÷ second. */
  a: number | null;
  b: number | null;
  ratio: number | null;
  /** Every run's figure, in run order (a compare of more than two targets: the third and on are here only). */
  values: Array<number | null>;
  /** The first run's figure ÷ each later run's (ratios[0] = ratio). */
  ratios: Array<number | null>;
}

export interface CompareReport {
  schema: typeof SCHEMA;
  kind: 'compare';
  date: string;
  command: string;
  machine: MachineInfo;
  scenario: string;
  /** Two runs, or up to four with more --target. */
  runs: [BenchReport, BenchReport, ...BenchReport[]];
  /** Headline metrics of every run and first ÷ each other (for latencies and RSS lower is better). */
  metrics: CompareMetric[];
}

export function newReport(command: string, target: BenchReport['target'], workers: number, result: ScenarioResult, problems: string[]): BenchReport {
  return { schema: SCHEMA, kind: 'run', date: new Date().toISOString(), command, machine: machineInfo(), target, workers, ok: problems.length === 0, problems, result };
}

/** Writes `<dir>/<scenario>-<target>-<timestamp>.json`; returns the path. */
export function saveJson(dir: string, stem: string, data: BenchReport | CompareReport | HostileReport): string {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${stem.replace(/[^A-Za-z0-9_-]+/g, '_')}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
