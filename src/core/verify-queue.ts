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
 * - Addresses in good standing first: among the keys that may start a check, those with the lowest
 *   `standing` (the throttle's count of recent failures) go first, round-robin among equals. A
 *   user who has not failed then waits for at most one round of other clean addresses, however
 *   many guessing addresses keep the queue full (each such address has a failure after its first
 *   check). Without it, 32 guessing addresses delayed a new user's login by up to 2.2 s.
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

  /** `standing(key)`: lower goes first (0 for an address with no failure on record); default all equal. */
  constructor(
    private readonly limits: VerifyQueueLimits,
    private readonly standing: (key: string) => number = () => 0,
  ) {}

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

  /** Starts waiting checks while there is room: best standing first, round-robin among equals. */
  private next(): void {
    while (this.running < this.limits.concurrency) {
      const key = this.pick();
      if (key === undefined) return;
      const q = this.keys.get(key)!;
      const job = q.jobs[q.head++]!;
      if (q.head === q.jobs.length) {
        q.jobs = [];
        q.head = 0;
      }
      this.running++;
      q.running++;
      // To the back of the round.
      this.keys.delete(key);
      this.keys.set(key, q);
      job.start();
    }
  }

  /**
   * The key whose first live job starts next: the lowest standing among the keys below `perKey`
   * running, the first in round order among equals. Dead jobs met on the way resolve 'gone'; a key
   * left with nothing waiting or running is dropped.
   */
  private pick(): string | undefined {
    let best: string | undefined;
    let bestStanding = Infinity;
    for (const [key, q] of this.keys) {
      if (q.running >= this.limits.perKey) continue;
      if (!this.dropDead(q)) {
        if (q.running === 0) this.keys.delete(key);
        continue;
      }
      const standing = this.standing(key);
      if (standing < bestStanding) {
        best = key;
        bestStanding = standing;
        if (standing <= 0) break;
      }
    }
    return best;
  }

  /** Resolves 'gone' the dead jobs at the front of a queue; true when a live one is left there. */
  private dropDead(q: KeyQueue): boolean {
    while (q.head < q.jobs.length) {
      const job = q.jobs[q.head]!;
      if (job.alive()) return true;
      q.head++;
      job.gone();
    }
    q.jobs = [];
    q.head = 0;
    return false;
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
