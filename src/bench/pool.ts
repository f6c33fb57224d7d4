import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuTimes, Envelope, ReplyEnvelope, ReplyMap, Request, WorkerConfig } from './worker-protocol.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker.js', import.meta.url));

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** One forked generator process and its request/reply channel. */
class Worker {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** Cumulative CPU time of the process as of its latest reply. */
  cpu: CpuTimes = { user: 0, system: 0 };
  readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: ReplyEnvelope) => {
      this.cpu = m.cpu;
      const p = this.pending.get(m.seq);
      if (p === undefined) return;
      this.pending.delete(m.seq);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error ?? 'worker failed'));
    });
    this.exited = new Promise((resolve) => proc.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error('generator process exited'));
      this.pending.clear();
      resolve();
    }));
  }

  call<R extends Request>(req: R): Promise<ReplyMap[R['op']]> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      const env: Envelope = { seq, req };
      this.proc.send(env, (err) => { if (err) { this.pending.delete(seq); reject(err); } });
    });
  }
}

/**
 * The coordinator's handle on its generator processes. Clients are dealt to workers round-robin by
 * id, so every worker owns a similar mix of senders and receivers.
 */
export class WorkerPool {
  private constructor(readonly workers: Worker[]) {}

  static async start(count: number, config: WorkerConfig): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, () => new Worker(fork(WORKER_MAIN, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })));
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => w.call({ op: 'init', config })));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** The ids among `ids` that worker `w` owns. */
  share(ids: number[], w: number): number[] {
    return ids.filter((id) => id % this.workers.length === w);
  }

  all<T>(fn: (w: Worker, index: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.workers.map(fn));
  }

  /** Summed CPU time (µs) of all generator processes as of their latest replies. */
  cpuMicros(): number {
    let t = 0;
    for (const w of this.workers) t += w.cpu.user + w.cpu.system;
    return t;
  }

  /** Asks every worker to drop its sockets, then ends the processes; bounded at ~5 s. */
  async close(): Promise<void> {
    await Promise.race([
      Promise.allSettled(this.workers.map((w) => w.call({ op: 'close' }))),
      new Promise((r) => setTimeout(r, 4_000).unref()),
    ]);
    for (const w of this.workers) if (w.proc.connected) w.proc.disconnect();
    await Promise.race([
      Promise.all(this.workers.map((w) => w.exited)),
      new Promise((r) => setTimeout(r, 1_000).unref()),
    ]);
    for (const w of this.workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  }
}
