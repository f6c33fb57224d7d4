/**
 * The last join of several queued messages into one chunk, kept for the next outbox of the same
 * flush. The hub pushes the very same Buffer to every recipient of a broadcast, and a turn's flush
 * visits those recipients one after another, so when a turn leaves several messages queued for
 * each of them, their queues hold the same Buffers in the same order and one joined chunk serves
 * them all (sockets never modify what they are given). A reference comparison is O(n) and copies
 * nothing, where each miss of it would copy every byte again; chosen over cork()/writev, which
 * would need a second write path in every Sink (connection, simulated link) and still pay
 * per-buffer bookkeeping for each recipient.
 *
 * Contract:
 * - One per TurnFlush (never shared between flushes, never module state): the flush calls
 *   `forget()` at the end of each turn, so it keeps at most one chunk alive between turns.
 * - `join` MUST NOT modify the ring it reads, allocates only on a miss (the chunk itself), and
 *   returns a chunk equal to the concatenation of the `n` messages from `head`.
 */
export class JoinCache {
  private readonly parts: Array<Buffer | undefined> = [];
  private count = 0;
  private joined: Buffer | undefined;

  /** The `n` (at least 2) ring messages from `head` as one buffer, shared when it can be. */
  join(ring: ReadonlyArray<Buffer | undefined>, head: number, mask: number, n: number): Buffer {
    let size = 0;
    let same = this.count === n;
    const parts = this.parts;
    for (let i = 0, j = head; i < n; i++, j = (j + 1) & mask) {
      const m = ring[j]!;
      size += m.length;
      if (same && m !== parts[i]) same = false;
    }
    if (same && this.joined !== undefined) return this.joined;
    const chunk = Buffer.allocUnsafe(size);
    let off = 0;
    for (let i = 0, j = head; i < n; i++, j = (j + 1) & mask) {
      const m = ring[j]!;
      off += m.copy(chunk, off);
      parts[i] = m;
    }
    for (let i = n; i < this.count; i++) parts[i] = undefined;
    this.count = n;
    this.joined = chunk;
    return chunk;
  }

  /** Drops the kept chunk and its parts, so nothing sent stays reachable after the turn. */
  forget(): void {
    for (let i = 0; i < this.count; i++) this.parts[i] = undefined;
    this.count = 0;
    this.joined = undefined;
  }
}
