import { summarize, type LatencySummary } from '../latency-recorder.js';
import { cpuPercent, readCpuMicros, sumOver } from '../proc-stats.js';
import { nowMicros, sleep, sum, type Session } from './session.js';

/** One measured send-and-drain phase: what was offered, what arrived, how fast and how late. */
export interface BroadcastPoint {
  clients: number;
  senders: number;
  offeredRate: number;
  durationS: number;
  sent: number;
  sendRate: number;
  expected: number;
  delivered: number;
  lost: number;
  /** Deliveries beyond a sender's expected count (duplicates); always 0 for a correct server. */
  extra: number;
  lossPct: number;
  stale: number;
  deliveriesPerSec: number;
  latency: LatencySummary;
  generatorCpuPct: number;
  /** Every server process together (the sum over a cluster's nodes), % of one core. */
  serverCpuPct: number | null;
  /** The cluster's Redis, % of one core; null without one. */
  busCpuPct: number | null;
  drainS: number;
}

export interface BroadcastSpec {
  phase: number;
  /** Clients in the room (logged in): each message is expected at target.receivers(clients) of them. */
  clients: number;
  senders: number[];
  rate: number;
  durationS: number;
  label: string;
}

/**
 * Senders send `rate` messages/s in total, round-robin and evenly spaced, for `durationS`; then the
 * phase drains until every expected delivery arrived, nothing arrived for 2 s, or --drain elapsed.
 * Loss is counted per sender: expected = messages sent by that sender × receivers per message.
 */
export async function runBroadcast(s: Session, spec: BroadcastSpec): Promise<BroadcastPoint> {
  const { pool, target, progress } = s;
  const W = pool.size;
  const shares = Array.from({ length: W }, (_, w) => pool.share(spec.senders, w));
  // Start counting this phase from zero on every worker (also refreshes their CPU readings).
  await pool.all((w) => w.call({ op: 'collect', nextPhase: spec.phase }));
  const genCpu0 = pool.cpuMicros();
  const srvCpu0 = sumOver(target.pids, readCpuMicros);
  const busCpu0 = readCpuMicros(target.busPid);
  const t0 = nowMicros();
  const total = Math.round(spec.rate * spec.durationS);
  let sending = true;
  const sendDone = pool.all((w, i) => {
    const mine = shares[i]!;
    const frac = mine.length / Math.max(1, spec.senders.length);
    return w.call({ op: 'send', phase: spec.phase, senders: mine, rate: spec.rate * frac, total: Math.round(total * frac), offset: i / W });
  }).finally(() => { sending = false; });
  while (sending) {
    await Promise.race([sendDone, sleep(250)]);
    if (!sending) break;
    const c = await pool.all((w) => w.call({ op: 'counts' }));
    const el = (nowMicros() - t0) / 1e6;
    progress.update(`${spec.label}: ${el.toFixed(1)}/${spec.durationS}s, ${sum(c.map((x) => x.delivered))} delivered`);
  }
  const sends = await sendDone;
  const sendElapsedS = (nowMicros() - t0) / 1e6;
  const sent = sum(sends.map((r) => r.sent));
  const receivers = target.receivers(spec.clients);
  const expected = sent * receivers;

  const drainStart = Date.now();
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() - drainStart < s.opts.drainS * 1000) {
    const c = await pool.all((w) => w.call({ op: 'counts' }));
    const got = sum(c.map((x) => x.delivered));
    if (got >= expected) break;
    if (got !== last) { last = got; lastChange = Date.now(); }
    else if (Date.now() - lastChange > 2_000) break;
    progress.update(`${spec.label}: draining, ${got}/${expected} delivered`);
    await sleep(50);
  }
  const drainS = (Date.now() - drainStart) / 1000;
  const stats = await pool.all((w) => w.call({ op: 'collect', nextPhase: spec.phase + 1 }));
  const wallMs = (nowMicros() - t0) / 1000;
  const genCpu1 = pool.cpuMicros();
  const srvCpu1 = sumOver(target.pids, readCpuMicros);
  const busCpu1 = readCpuMicros(target.busPid);

  let lost = 0;
  let extra = 0;
  const n = stats[0]?.perSender.length ?? 0;
  for (let id = 0; id < n; id++) {
    let sentBy = 0;
    for (const r of sends) sentBy += r.perSender[id]!;
    let got = 0;
    for (const st of stats) got += st.perSender[id]!;
    const want = sentBy * receivers;
    if (got < want) lost += want - got;
    else extra += got - want;
  }
  const delivered = sum(stats.map((x) => x.delivered));
  const lastMicros = Math.max(0, ...stats.map((x) => x.lastMicros));
  const windowS = Math.max(sendElapsedS, (lastMicros - t0) / 1e6, 0.001);
  return {
    clients: spec.clients,
    senders: spec.senders.length,
    offeredRate: spec.rate,
    durationS: spec.durationS,
    sent,
    sendRate: Math.round(sent / Math.max(sendElapsedS, 0.001)),
    expected,
    delivered,
    lost,
    extra,
    lossPct: expected > 0 ? Math.round((lost / expected) * 1e6) / 1e4 : 0,
    stale: sum(stats.map((x) => x.stale)),
    deliveriesPerSec: Math.round(delivered / windowS),
    latency: summarize(stats.map((x) => x.latency)),
    generatorCpuPct: Math.round(((genCpu1 - genCpu0) / 1000 / wallMs) * 1000) / 10,
    serverCpuPct: cpuPercent(srvCpu0, srvCpu1, wallMs),
    busCpuPct: cpuPercent(busCpu0, busCpu1, wallMs),
    drainS,
  };
}

export function broadcastProblems(p: BroadcastPoint, what: string): string[] {
  const out: string[] = [];
  if (p.lost > 0) out.push(`${what}: ${p.lost} of ${p.expected} deliveries lost (${p.lossPct} %)`);
  if (p.extra > 0) out.push(`${what}: ${p.extra} deliveries beyond the expected count (duplicates)`);
  return out;
}

/** The phase number of warm-up traffic; measured phases count from 1. */
const WARMUP_PHASE = 999;

/**
 * Sends at the measured rate for `seconds` and drains, discarding the figures: the first seconds of
 * a run measure JIT compilation and buffers growing (in the server and in the generator), not the
 * steady state a long-running server is in. Every target gets the same warm-up.
 */
export async function warmUp(s: Session, seconds: number, spec: Omit<BroadcastSpec, 'phase' | 'durationS'>): Promise<void> {
  if (seconds <= 0) return;
  await runBroadcast(s, { ...spec, phase: WARMUP_PHASE, durationS: seconds, label: `${spec.label} warm-up` });
}
