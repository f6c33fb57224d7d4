import type { JoinCache } from './join-cache.js';

/** Slots a new ring starts with at most; it doubles when full. */
const RING_INITIAL = 8;

/**
 * The queue of one outbox: messages in FIFO order, each with the time it entered and whether it is
 * a reply, in a power-of-two ring that starts small and doubles when full.
 *
 * The Outbox extends it rather than holding one: the fan-out's inner loop reads the counts on
 * every push, and as fields of the outbox itself they cost no extra object or pointer load per
 * recipient. Everything here is protected: only the outbox's own bounds decide what enters.
 *
 * Contract:
 * - No bounds and no policy here: the outbox decides what may enter; the ring holds what it is given.
 * - push(), take() and dropOldest() are O(1) per message and allocation-free once the ring has
 *   grown to the queue's high-water mark (take() allocates only the joined chunk, and only when
 *   the flush's JoinCache does not already hold it). It starts small, so an idle recipient costs
 *   little (a ring sized for --queue-size 1000 up front cost 16 KiB per idle connection).
 * - A slot is cleared as soon as its message leaves, so the ring keeps nothing alive that was sent
 *   or dropped.
 * - `queued`, `queuedReplies` and `queuedBytes` are always the totals of what is queued; only
 *   this class changes them.
 */
export class MessageRing {
  private slots: Array<Buffer | undefined>;
  private stamps: Float64Array;
  /** Per slot: 1 = a reply (exempt from the send delay), 0 = chat or control. */
  private replyFlags: Uint8Array;
  private mask: number;
  private head = 0;
  /** Messages queued. */
  protected queued = 0;
  /** Replies among them. */
  protected queuedReplies = 0;
  /** Their bytes. */
  protected queuedBytes = 0;

  /** `expected`: the most messages the owner's bounds let pile up (the ring never starts larger than RING_INITIAL). */
  constructor(expected: number) {
    const capacity = capacityFor(Math.min(expected, RING_INITIAL));
    this.slots = new Array<Buffer | undefined>(capacity);
    this.stamps = new Float64Array(capacity);
    this.replyFlags = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  /** When the oldest message entered; only while queued > 0. */
  protected get oldestStamp(): number {
    return this.stamps[this.head]!;
  }

  /** Appends `message`, entered at `stamp`; `reply` 1 for a reply, 0 otherwise. */
  protected enqueue(message: Buffer, stamp: number, reply: 0 | 1): void {
    if (this.queued === this.slots.length) this.grow();
    const slot = (this.head + this.queued) & this.mask;
    this.slots[slot] = message;
    this.stamps[slot] = stamp;
    this.replyFlags[slot] = reply;
    this.queued++;
    this.queuedReplies += reply;
    this.queuedBytes += message.length;
  }

  /**
   * Removes the first `n` (1 <= n <= queued) messages and returns them as one buffer: the message
   * itself when n is 1, else a join shared through `joins` with recipients of the same messages.
   */
  protected dequeue(n: number, replies: number, joins: JoinCache): Buffer {
    const chunk = n === 1 ? this.slots[this.head]! : joins.join(this.slots, this.head, this.mask, n);
    for (let i = 0; i < n; i++) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    }
    this.queued -= n;
    this.queuedReplies -= replies;
    this.queuedBytes -= chunk.length;
    return chunk;
  }

  /** Discards the oldest message (queued > 0); returns 1 if it was a reply. */
  protected dropOldest(): 0 | 1 {
    const old = this.slots[this.head]!;
    const reply = this.replyFlags[this.head] === 1 ? 1 : 0;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.queued--;
    this.queuedReplies -= reply;
    this.queuedBytes -= old.length;
    return reply;
  }

  /** How many of the first `n` queued messages are replies. */
  protected repliesAmong(n: number): number {
    let replies = 0;
    for (let i = 0, j = this.head; i < n; i++, j = (j + 1) & this.mask) replies += this.replyFlags[j]!;
    return replies;
  }

  /** How many of the first `max` queued messages are replies, counting from the head until chat. */
  protected leadingReplies(max: number): number {
    let n = 0;
    for (let j = this.head; n < max && this.replyFlags[j] === 1; j = (j + 1) & this.mask) n++;
    return n;
  }

  /** Discards everything queued. */
  protected clearQueue(): void {
    this.slots.fill(undefined);
    this.queued = 0;
    this.queuedReplies = 0;
    this.queuedBytes = 0;
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    const slots = new Array<Buffer | undefined>(capacity);
    const stamps = new Float64Array(capacity);
    const replyFlags = new Uint8Array(capacity);
    for (let i = 0; i < this.queued; i++) {
      const j = (this.head + i) & this.mask;
      slots[i] = this.slots[j];
      stamps[i] = this.stamps[j]!;
      replyFlags[i] = this.replyFlags[j]!;
    }
    this.slots = slots;
    this.stamps = stamps;
    this.replyFlags = replyFlags;
    this.mask = capacity - 1;
    this.head = 0;
  }
}

function capacityFor(n: number): number {
  let c = 8;
  while (c < n) c *= 2;
  return c;
}
