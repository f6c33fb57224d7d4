import type { OverflowPolicy } from './limits.js';

/**
 * Where an outbox hands its bytes: a socket, seen through the two things flow control needs.
 * Implemented by src/net/connection.ts.
 */
export interface Sink {
  /** Hands bytes to the transport; false means "stop until drained" (Node's write() backpressure). */
  write(chunk: Buffer): boolean;
  /** Bytes the transport holds in user space that the kernel has not taken yet. */
  readonly writableLength: number;
}

export interface OutboxLimits {
  /** Most messages waiting to be handed to the sink. */
  queueSize: number;
  /** Most bytes outstanding: queued messages + the sink's writableLength + the message being added. */
  queueBytes: number;
  overflow: OverflowPolicy;
  /** Close a recipient whose sink has not drained for this long (ms); 0 = never. */
  drainTimeoutMs: number;
}

/** What an outbox tells its owner (the session). MUST NOT call back into push() synchronously. */
export interface OutboxEvents {
  /** A message for this recipient was dropped (counted already). */
  dropped(outbox: Outbox): void;
  /** Policy `disconnect`: the queue overflowed; the owner sends a final notice and closes. */
  overflowed(outbox: Outbox): void;
  /** The recipient caught up after losing `lost` messages; the owner sends ONE notice. */
  caughtUp(outbox: Outbox, lost: number): void;
  /** The sink stayed blocked for drainTimeoutMs; the owner closes the connection. */
  drainTimedOut(outbox: Outbox): void;
}

/**
 * The per-recipient outgoing queue: the one place where flow and congestion control live.
 *
 * Contract:
 * - push() MUST NOT block, await or throw; the hub calls it in its fan-out loop.
 * - Writes are coalesced: messages pushed during one event-loop turn go to the sink as one write at
 *   the end of the turn (or earlier, when the queue would otherwise overflow while the sink is free).
 * - A message is "queued" until it is handed to the sink. The sink is only given bytes while it is not
 *   blocked (its last write() returned true or it has drained since).
 * - Memory is bounded: at most queueSize messages and queueBytes bytes (including the sink's own
 *   buffer) per recipient, whatever the recipient does.
 */
export class Outbox {
  private queue: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;
  private blocked = false;
  private scheduled = false;
  private lostSinceNotice = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private blockedSince = 0;
  closed = false;

  /** Counters, read by /stats and metrics. */
  enqueued = 0;
  written = 0;
  dropped = 0;
  /** Largest queue depth seen since the last stats sample (reset by the reader). */
  peakDepth = 0;

  constructor(
    private readonly sink: Sink,
    readonly limits: OutboxLimits,
    private readonly events: OutboxEvents,
  ) {}

  /** Messages waiting to be handed to the sink. */
  get depth(): number {
    return this.queue.length - this.head;
  }

  /** Bytes outstanding in user space: queued plus what the sink holds. */
  get bytes(): number {
    return this.queuedBytes + this.sink.writableLength;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Adds one rendered message. Returns false if it was dropped (or the outbox is closed). */
  push(message: Buffer): boolean {
    if (this.closed) return false;
    if (this.isFull(message.length)) {
      // Hand what we can to a free sink before deciding the queue is really full.
      if (!this.blocked && this.depth > 0) this.flush();
      if (this.isFull(message.length)) return this.overflow(message);
    }
    this.append(message);
    return true;
  }

  /**
   * Adds a message that bypasses the bounds: only for the server's own single notices (catch-up,
   * shutdown), never for user traffic, so at most a few such messages are ever outstanding.
   */
  pushControl(message: Buffer): void {
    if (this.closed) return;
    this.append(message);
  }

  /** The sink drained: resume handing it bytes. Called by the connection on 'drain'. */
  drained(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.flush();
  }

  /** Hands every queued message to the sink as one write, unless the sink is blocked. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.blocked) return;
    const n = this.depth;
    if (n > 0) {
      const chunk = n === 1 ? this.queue[this.head]! : Buffer.concat(n === this.queue.length ? this.queue : this.queue.slice(this.head), this.queuedBytes);
      this.queue = [];
      this.head = 0;
      this.queuedBytes = 0;
      this.written += n;
      if (!this.sink.write(chunk)) {
        this.blocked = true;
        this.armDrainTimer();
        return;
      }
    }
    if (this.lostSinceNotice > 0) {
      const lost = this.lostSinceNotice;
      this.lostSinceNotice = 0;
      this.events.caughtUp(this, lost);
    }
  }

  /** Stops all output and timers; queued messages are discarded. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    if (this.drainTimer) clearTimeout(this.drainTimer);
  }

  private isFull(incoming: number): boolean {
    return this.depth >= this.limits.queueSize || this.bytes + incoming > this.limits.queueBytes;
  }

  private append(message: Buffer): void {
    this.queue.push(message);
    this.queuedBytes += message.length;
    this.enqueued++;
    const depth = this.queue.length - this.head;
    if (depth > this.peakDepth) this.peakDepth = depth;
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      scheduleFlush(this);
    }
  }

  private overflow(message: Buffer): boolean {
    switch (this.limits.overflow) {
      case 'drop-newest':
        this.countDrop();
        return false;
      case 'drop-oldest': {
        // Make room by discarding from the front until the new message fits (or the queue is empty).
        while (this.depth > 0 && this.isFull(message.length)) {
          const old = this.queue[this.head]!;
          this.queue[this.head] = EMPTY;
          this.head++;
          this.queuedBytes -= old.length;
          this.countDrop();
        }
        if (this.isFull(message.length)) {
          this.countDrop();
          return false;
        }
        this.append(message);
        return true;
      }
      case 'disconnect':
        this.countDrop();
        this.events.overflowed(this);
        return false;
    }
  }

  private countDrop(): void {
    this.dropped++;
    this.lostSinceNotice++;
    this.events.dropped(this);
  }

  // One lazy timer per blocked outbox: draining does not touch it; when it fires it either finds the
  // sink drained, or blocked for the full timeout, or re-arms itself for the remainder.
  private armDrainTimer(): void {
    this.blockedSince = Date.now();
    if (this.limits.drainTimeoutMs > 0 && !this.drainTimer) this.startDrainTimer(this.limits.drainTimeoutMs);
  }

  private startDrainTimer(ms: number): void {
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (!this.blocked || this.closed) return;
      const left = this.blockedSince + this.limits.drainTimeoutMs - Date.now();
      if (left <= 0) this.events.drainTimedOut(this);
      else this.startDrainTimer(left);
    }, ms);
    this.drainTimer.unref();
  }
}

const EMPTY = Buffer.alloc(0);

// One setImmediate per event-loop turn flushes every outbox that got messages during the turn, so a
// broadcast to N recipients costs N writes, not N x messages.
let dirty: Outbox[] = [];
let flushPending = false;

function scheduleFlush(outbox: Outbox): void {
  dirty.push(outbox);
  if (!flushPending) {
    flushPending = true;
    setImmediate(flushAll);
  }
}

function flushAll(): void {
  flushPending = false;
  const batch = dirty;
  dirty = [];
  for (let i = 0; i < batch.length; i++) batch[i]!.flush();
}
