import { defaultConfig, type ServerConfig } from '../server/config.js';
import { startChatServer } from '../server/server.js';
import { silentLogger } from '../core/log.js';
import { OpenAccounts } from '../core/accounts.js';
import { TextSession } from '../protocols/text/session.js';
import { SimTransport } from './transport.js';
import type { SimOptions } from './options.js';

export const CLASS_NAMES = ['fast', 'slow', 'frozen', 'limited'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

/** One client class over time; index i of every array is the interval ending at times[i]. */
export interface ClassSeries {
  readonly name: ClassName;
  readonly clients: number;
  /** Largest queue depth any client of the class reached in the interval. */
  readonly depth: number[];
  /** Mean congestion window of the class's connected clients (NaN: none connected, or --cc none). */
  readonly window: number[];
  /** Messages the class's clients received in the interval (all clients together). */
  readonly delivered: number[];
  /** Messages dropped for the class's clients in the interval (all clients together). */
  readonly dropped: number[];
  /** Mean end-to-end latency (sender typed it -> client read it) in ms; NaN when nothing arrived. */
  readonly latencyMs: number[];
  /** Clients of the class still connected. */
  readonly online: number[];
}

export interface ClassSummary {
  readonly name: ClassName;
  readonly clients: number;
  readonly disconnected: number;
  readonly delivered: number;
  readonly dropped: number;
  /** Still queued (never sent, never dropped) when the run ended. */
  readonly unsent: number;
  readonly latencyMeanMs: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Mean final window of the connected clients (NaN if none, or --cc none). */
  readonly window: number;
}

export interface SimResult {
  readonly options: SimOptions;
  /** The server's TCP port during the run (a real client could have joined). */
  readonly port: number;
  /** Messages the fast clients sent. */
  readonly sent: number;
  /** End of each interval, seconds since the senders started. */
  readonly times: number[];
  readonly classes: ClassSeries[];
  readonly summary: ClassSummary[];
}

export interface SimProgress {
  elapsedS: number;
  totalS: number;
  online: number;
  clients: number;
  delivered: number;
  dropped: number;
}

interface SimClient {
  readonly cls: ClassName;
  readonly name: string;
  readonly transport: SimTransport;
  readonly session: TextSession;
  droppedBase: number;
}

interface Acc {
  delivered: number;
  latencySum: number;
  latencyCount: number;
  all: number[];
}

/** After the senders stop, wait at most this long (ms) for the queues to empty. */
const TAIL_MS = 5_000;
const SEND_TICK_MS = 10;
const MARK = ': t=';

/** A small seeded PRNG (mulberry32): the senders' jitter is the same for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function serverConfig(o: SimOptions, names: Map<ClassName, string[]>): ServerConfig {
  const config = defaultConfig();
  config.host = '127.0.0.1';
  config.port = 0;
  config.auth = 'open';
  config.queueSize = o.queueSize;
  config.queueBytes = o.queueBytes;
  config.overflow = o.overflow;
  config.cc = o.cc;
  config.drainTimeoutMs = o.drainTimeoutS * 1000;
  // Outbound flow control is the subject; inbound flood control would only slow the senders.
  config.floodRate = 0;
  config.statsIntervalS = 0;
  config.httpPort = null;
  config.ircPort = null;
  config.logMessages = false;
  config.quiet = true;
  for (const n of names.get('slow') ?? []) config.slow.set(n, o.slowMs);
  return config;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Runs the experiment: a real chat server (hub, sessions, outboxes, in this process), the clients
 * on in-memory sockets, the fast ones sending, everything sampled every `sampleMs`.
 */
export async function runSimulation(o: SimOptions, onProgress?: (p: SimProgress) => void): Promise<SimResult> {
  const counts: Record<ClassName, number> = { fast: o.fast, slow: o.slow, frozen: o.frozen, limited: o.limited };
  const names = new Map<ClassName, string[]>();
  for (const cls of CLASS_NAMES) names.set(cls, Array.from({ length: counts[cls] }, (_, i) => `${cls}${String(i + 1).padStart(2, '0')}`));
  const server = await startChatServer(serverConfig(o, names), silentLogger, new OpenAccounts());
  const acc = new Map<ClassName, Acc>(CLASS_NAMES.map((c) => [c, { delivered: 0, latencySum: 0, latencyCount: 0, all: [] }]));
  let measuring = false;
  const origin = performance.now();

  const clients: SimClient[] = [];
  let port = 40_000;
  for (const cls of CLASS_NAMES) {
    const a = acc.get(cls)!;
    for (const name of names.get(cls)!) {
      const onLine = (line: string): void => {
        const at = line.indexOf(MARK);
        if (!measuring || at < 0) return;
        const latency = performance.now() - origin - Number.parseFloat(line.slice(at + MARK.length));
        a.delivered++;
        a.latencySum += latency;
        a.latencyCount++;
        a.all.push(latency);
      };
      // The limited clients' simulated link is part of their socket from the start, as --link-rate is.
      const transport = new SimTransport(port++, o.kernelBuffer, onLine, cls === 'limited' ? o.linkRate : 0);
      const session = new TextSession(transport, server.ctx, server.config);
      transport.session = session;
      session.data(Buffer.from(`${name}\nsim\n`));
      clients.push({ cls, name, transport, session, droppedBase: 0 });
    }
  }
  while (!clients.every((c) => c.session.loggedIn)) await turn();
  await sleep(50); // the join notices go out
  for (const c of clients) {
    if (c.cls === 'frozen') c.transport.reading = false;
    c.droppedBase = c.session.outbox.dropped;
    c.session.outbox.peakDepth = c.session.outbox.depth;
  }

  const senders = clients.filter((c) => c.cls === 'fast');
  const random = prng(o.seed);
  const pad = 'x'.repeat(o.size);
  let sent = 0;
  let credit = senders.map(() => random());
  const start = performance.now();
  measuring = true;
  const sendTimer = setInterval(() => {
    const perTick = (o.rate * SEND_TICK_MS) / 1000;
    credit = credit.map((cr, i) => {
      let next = cr + perTick * (0.5 + random());
      const s = senders[i]!;
      while (next >= 1) {
        next -= 1;
        if (s.transport.closedWith !== undefined) continue;
        const text = `t=${(performance.now() - origin).toFixed(3)} ${sent} ${pad}`.slice(0, o.size);
        s.session.data(Buffer.from(`${text}\n`));
        sent++;
      }
      return next;
    });
  }, SEND_TICK_MS);

  const times: number[] = [];
  const series = new Map<ClassName, ClassSeries>();
  for (const cls of CLASS_NAMES) {
    if (counts[cls] > 0) series.set(cls, { name: cls, clients: counts[cls], depth: [], window: [], delivered: [], dropped: [], latencyMs: [], online: [] });
  }
  const sample = () => {
    times.push(Math.round(performance.now() - start) / 1000);
    for (const s of series.values()) {
      const a = acc.get(s.name)!;
      let depth = 0;
      let dropped = 0;
      const windows: number[] = [];
      let online = 0;
      for (const c of clients) {
        if (c.cls !== s.name) continue;
        const ob = c.session.outbox;
        dropped += ob.dropped - c.droppedBase;
        c.droppedBase = ob.dropped;
        if (c.transport.closedWith !== undefined) continue;
        online++;
        depth = Math.max(depth, ob.peakDepth);
        ob.peakDepth = ob.depth;
        if (Number.isFinite(ob.window)) windows.push(ob.window);
      }
      s.depth.push(depth);
      s.window.push(mean(windows));
      s.delivered.push(a.delivered);
      s.dropped.push(dropped);
      s.latencyMs.push(a.latencyCount > 0 ? a.latencySum / a.latencyCount : NaN);
      s.online.push(online);
      a.delivered = 0;
      a.latencySum = 0;
      a.latencyCount = 0;
    }
  };

  const totalS = o.durationS;
  const report = () => {
    if (!onProgress) return;
    let delivered = 0;
    let dropped = 0;
    for (const s of series.values()) {
      delivered += s.delivered.reduce((x, y) => x + y, 0);
      dropped += s.dropped.reduce((x, y) => x + y, 0);
    }
    onProgress({ elapsedS: (performance.now() - start) / 1000, totalS, online: clients.filter((c) => c.transport.closedWith === undefined).length, clients: clients.length, delivered, dropped });
  };

  const end = start + o.durationS * 1000;
  let next = start + o.sampleMs;
  while (next <= end + 1) {
    await sleep(Math.max(0, next - performance.now()));
    sample();
    report();
    next += o.sampleMs;
  }
  clearInterval(sendTimer);
  // The tail: let the queues of connected, reading clients empty (bounded), still sampling.
  const tailEnd = performance.now() + TAIL_MS;
  const busy = () => clients.some((c) => c.transport.closedWith === undefined && c.transport.reading && (c.session.outbox.depth > 0 || c.session.outbox.bytes > 0));
  while (busy() && performance.now() < tailEnd) {
    await sleep(Math.max(0, next - performance.now()));
    sample();
    report();
    next += o.sampleMs;
  }
  measuring = false;

  const summary: ClassSummary[] = [...series.values()].map((s) => {
    const mine = clients.filter((c) => c.cls === s.name);
    const live = mine.filter((c) => c.transport.closedWith === undefined);
    const all = acc.get(s.name)!.all.sort((x, y) => x - y);
    const windows = live.map((c) => c.session.outbox.window).filter(Number.isFinite);
    return {
      name: s.name,
      clients: s.clients,
      disconnected: mine.length - live.length,
      delivered: s.delivered.reduce((x, y) => x + y, 0),
      dropped: s.dropped.reduce((x, y) => x + y, 0),
      unsent: live.reduce((n, c) => n + c.session.outbox.depth, 0),
      latencyMeanMs: mean(all),
      latencyP99Ms: percentile(all, 99),
      latencyMaxMs: all.length > 0 ? all[all.length - 1]! : NaN,
      window: mean(windows),
    };
  });

  for (const c of clients) c.session.shutdown();
  await turn();
  await server.close();
  return { options: o, port: server.port, sent, times, classes: [...series.values()], summary };
}
