export interface VerifyQueueLimits {
  /** Checks running at once, in total. */
  concurrency: number;
  /** Checks running at once for one key (address). */
  perKey: number;
}

export type VerifyOutcome<T> = { readonly kind: 'done'; readonly value: T } | { readonly kind: 'gone' };

interface Job {
  readonly alive: () => boolean;
  readonly start: () => void;
  readonly gone: () => void;
}

interface KeyQueue {
  /** Waiting jobs from index `head` on (a FIFO without O(n) shifts). */
  jobs: Job[];
  head: number;
  running: number;
  /** Queue length after the last sweep of dead jobs; the next sweep comes when it has doubled. */
  swept: number;
}

/**
 * Bounds password checks in flight. A check (scrypt) holds a thread-pool slot for tens of ms and,
 * once handed to libuv, cannot be taken back; so checks wait here, in our own queues, and only
 * `concurrency` of them (at most `perKey` per address) are handed on at a time.
 *
 * Contract:
 * - Fair between addresses: one queue per key, served round-robin, so one address with a hundred
 *   checks waiting delays another address's login by at most one check per round, and an address
 *   never has more than `perKey` checks running. The job runs at its turn, so it can ask the
 *   throttle then: failures that completed meanwhile stop the rest of that address's guesses.
 * - A waiting check whose connection is gone (`alive()` false) is dropped unstarted and resolves
 *   'gone': a client that hangs up frees its place. Dead checks are also swept when a key's queue
 *   has doubled, so a connect-send-hang-up loop cannot grow a queue beyond twice its live checks.
 * - A started check always runs to completion (its failure must still be counted by the caller:
 *   hanging up must not make a guess free).
 * - `run` never throws; a job that rejects rejects its own promise only.
 */
export class VerifyQueue {
  private readonly keys = new Map<string, KeyQueue>();
  private running = 0;

  constructor(private readonly limits: VerifyQueueLimits) {}

  /** Checks running now. */
  get inFlight(): number {
    return this.running;
  }

  run<T>(key: string, alive: () => boolean, job: () => Promise<T>): Promise<VerifyOutcome<T>> {
    let q = this.keys.get(key);
    if (q === undefined) this.keys.set(key, (q = { jobs: [], head: 0, running: 0, swept: 0 }));
    const queue = q;
    if (queue.jobs.length - queue.head >= 2 * queue.swept + 8) this.sweep(queue);
    return new Promise<VerifyOutcome<T>>((resolve, reject) => {
      const finish = (): void => {
        this.running--;
        queue.running--;
        if (queue.running === 0 && queue.head === queue.jobs.length) this.keys.delete(key);
        this.next();
      };
      queue.jobs.push({
        alive,
        start: () =>
          job().then(
            (value) => {
              finish();
              resolve({ kind: 'done', value });
            },
            (err: unknown) => {
              finish();
              reject(err);
            },
          ),
        gone: () => resolve({ kind: 'gone' }),
      });
      this.next();
    });
  }

  /** Starts waiting checks, round-robin over keys, while there is room. */
  private next(): void {
    let progress = true;
    while (progress && this.running < this.limits.concurrency) {
      progress = false;
      // A snapshot: a key that starts a job moves to the back of the round for the next pass.
      for (const [key, q] of [...this.keys]) {
        if (this.running >= this.limits.concurrency) return;
        if (q.running >= this.limits.perKey) continue;
        const job = this.take(q);
        if (job === undefined) {
          if (q.running === 0) this.keys.delete(key);
          continue;
        }
        this.running++;
        q.running++;
        // To the back of the round.
        this.keys.delete(key);
        this.keys.set(key, q);
        progress = true;
        job.start();
      }
    }
  }

  /** The first live job of a queue; dead ones met on the way resolve 'gone'. */
  private take(q: KeyQueue): Job | undefined {
    while (q.head < q.jobs.length) {
      const job = q.jobs[q.head++]!;
      if (q.head === q.jobs.length) {
        q.jobs = [];
        q.head = 0;
      }
      if (job.alive()) return job;
      job.gone();
    }
    return undefined;
  }

  private sweep(q: KeyQueue): void {
    const live: Job[] = [];
    for (let i = q.head; i < q.jobs.length; i++) {
      const job = q.jobs[i]!;
      if (job.alive()) live.push(job);
      else job.gone();
    }
    q.jobs = live;
    q.head = 0;
    q.swept = live.length;
  }
}
