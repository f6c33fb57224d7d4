/**
 * Items queued during one event-loop turn and handed to `write` as one batch at the end of it
 * (setImmediate), or sooner by `flush()`: how the durable stores turn a burst of appends into one
 * transaction (SQLite) or one round of pipelined writes (Redis) per turn. `write` gets each item
 * once, in push order, and MUST NOT throw (it runs from setImmediate and from beforeFlush hooks).
 */
export class TurnBatch<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: T[]) => void) {}

  push(item: T): void {
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushBatch, this);
    }
  }

  /** Hands what is queued to `write` now; nothing when the queue is empty. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.write(batch);
  }
}

function flushBatch<T>(batch: TurnBatch<T>): void {
  batch.flush();
}
