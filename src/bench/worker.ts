import { ClientConn, type Sink } from './client-conn.js';
import { nowMicros } from './clock.js';
import { LatencyRecorder } from './latency-recorder.js';
import { formatPayload, type PayloadFields } from './payload.js';
import type { ChurnReply, Envelope, LoginReply, ReplyEnvelope, ReplyMap, Request, WorkerConfig } from './worker-protocol.js';

/**
 * A load-generator process (forked by pool.ts). Processes rather than threads: each process has its
 * own open-file limit (20,000 here), and the idle scenario needs 19,000 sockets plus the server's.
 * It owns a subset of the clients, runs the phases the coordinator asks for and reports counters.
 * Every loop here is bounded by a count or a deadline; losing the coordinator ends the process.
 */

let cfg: WorkerConfig | null = null;
const conns = new Map<number, ClientConn>();
let phase = 0;
let delivered = 0;
let stale = 0;
let lines = 0;
let lastMicros = 0;
let perSender = new Float64Array(0);
const latency = new LatencyRecorder();

/** Shared by all connections: the receive hot path. No allocation per message. */
const sink: Sink = {
  payload(f: PayloadFields): void {
    if (f.phase !== phase) {
      stale++;
      return;
    }
    delivered++;
    lastMicros = f.recvMicros;
    if (f.sender < perSender.length) perSender[f.sender]!++;
    latency.record(f.recvMicros - f.micros);
  },
  line(): void {
    lines++;
  },
};

function config(): WorkerConfig {
  if (cfg === null) throw new Error('worker not initialised');
  return cfg;
}

function alive(): number {
  let n = 0;
  for (const c of conns.values()) if (c.ready && !c.isClosed) n++;
  return n;
}

function closedReasons(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of conns.values()) if (c.closedAfterLogin !== null) out[c.closedAfterLogin] = (out[c.closedAfterLogin] ?? 0) + 1;
  return out;
}

/** Runs `count` jobs with at most `limit` in flight; resolves when all have settled. */
async function bounded(count: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
}

/** Login outcomes of one batch: latencies from connect start, and the first few failures. */
class LoginTally {
  readonly connectRec = new LatencyRecorder();
  readonly loginRec = new LatencyRecorder();
  readonly errors: string[] = [];
  ok = 0;
  failed = 0;
  readonly t0 = Date.now();

  /** Opens a connection for client `id` and waits for its login; null when it failed. */
  async attempt(id: number, room: string | null): Promise<ClientConn | null> {
    const start = nowMicros();
    const conn = new ClientConn(id, config(), sink, room);
    if (await conn.connected) this.connectRec.record(nowMicros() - start);
    if (await conn.loggedIn) {
      this.loginRec.record(nowMicros() - start);
      this.ok++;
      return conn;
    }
    this.failed++;
    if (this.errors.length < 5) this.errors.push(`client ${id + 1}: ${conn.failure}`);
    return null;
  }

  reply(): LoginReply {
    return { ok: this.ok, failed: this.failed, errors: this.errors, connect: dump(this.connectRec), login: dump(this.loginRec), elapsedMs: Date.now() - this.t0 };
  }
}

async function login(ids: number[], concurrency: number, rooms: number): Promise<LoginReply> {
  const c = config();
  const tally = new LoginTally();
  await bounded(ids.length, concurrency, async (k) => {
    const id = ids[k]!;
    const room = rooms > 0 ? (c.proto === 'redis' ? `${c.channel}-${id % rooms}` : `r${id % rooms}`) : null;
    const conn = await tally.attempt(id, room);
    if (conn !== null) conns.set(id, conn);
  });
  return tally.reply();
}

function dump(r: LatencyRecorder): { counts: Float64Array; max: number } {
  return { counts: r.counts.slice(), max: r.max };
}

async function send(req: Extract<Request, { op: 'send' }>): Promise<ReplyMap['send']> {
  const sentBy = new Float64Array(config().totalClients);
  const seqs = new Uint32Array(req.senders.length);
  const senders = req.senders.map((id) => conns.get(id)).filter((x): x is ClientConn => x !== undefined && x.ready);
  const t0 = nowMicros();
  let k = 0;
  if (senders.length === 0 || req.total <= 0 || req.rate <= 0) return { sent: 0, perSender: sentBy, elapsedMs: 0 };
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(req.total, Math.floor(((nowMicros() - t0) / 1e6) * req.rate + req.offset));
      for (; k < due; k++) {
        const j = k % senders.length;
        const conn = senders[j]!;
        if (conn.isClosed) continue;
        conn.sendPayload(formatPayload(req.phase, conn.id, seqs[j]!++, nowMicros()));
        sentBy[conn.id]!++;
      }
      if (k >= req.total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  let sent = 0;
  for (const v of sentBy) sent += v;
  return { sent, perSender: sentBy, elapsedMs: (nowMicros() - t0) / 1000 };
}

function collect(nextPhase: number): ReplyMap['collect'] {
  const out = { delivered, stale, lines, alive: alive(), perSender, latency: dump(latency), lastMicros };
  phase = nextPhase;
  delivered = 0;
  stale = 0;
  lastMicros = 0;
  perSender = new Float64Array(config().totalClients);
  latency.reset();
  return out;
}

/** Login churn: every slot loops connect, log in, leave, wait for the server's close. */
async function churn(req: Extract<Request, { op: 'churn' }>): Promise<ChurnReply> {
  const tally = new LoginTally();
  let notClosed = 0;
  let started = 0;
  const deadline = tally.t0 + req.deadlineMs;
  await Promise.all(req.slots.map(async (id) => {
    while (started < req.count && Date.now() < deadline) {
      started++;
      const conn = await tally.attempt(id, null);
      if (conn === null) continue;
      conn.leave();
      const gone = await Promise.race([conn.closed.then(() => true), sleep(5_000).then(() => false)]);
      if (!gone) notClosed++;
      conn.destroy();
      await conn.closed;
    }
  }));
  return { ...tally.reply(), notClosed };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function closeAll(): Promise<number> {
  const n = conns.size;
  for (const conn of conns.values()) conn.destroy();
  await Promise.race([Promise.all([...conns.values()].map((x) => x.closed)), sleep(3_000)]);
  conns.clear();
  return n;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'init':
      cfg = req.config;
      perSender = new Float64Array(cfg.totalClients);
      return { pid: process.pid };
    case 'login':
      return login(req.ids, req.concurrency, req.rooms);
    case 'counts':
      return { lines, delivered, alive: alive(), closed: closedReasons() };
    case 'send':
      return send(req);
    case 'collect':
      return collect(req.nextPhase);
    case 'churn':
      return churn(req);
    case 'close':
      return { closed: await closeAll() };
  }
}

process.on('message', (msg: Envelope) => {
  handle(msg.req).then(
    (value) => reply({ seq: msg.seq, ok: true, value, cpu: process.cpuUsage() }),
    (err: unknown) => reply({ seq: msg.seq, ok: false, error: err instanceof Error ? err.message : String(err), cpu: process.cpuUsage() }),
  );
});

function reply(r: ReplyEnvelope): void {
  if (process.connected) process.send?.(r);
}

/** Ctrl-C reaches the whole process group; the coordinator decides how to wind down. */
process.on('SIGINT', () => {});

/** The coordinator is gone (exit, Ctrl-C, crash): drop every socket and leave. */
process.on('disconnect', () => {
  for (const conn of conns.values()) conn.destroy();
  process.exit(0);
});
