import type { CcMode, OverflowPolicy } from './limits.js';
import { DEFAULTS } from './limits.js';
import { Aimd, NO_WINDOW, type CongestionWindow } from './congestion.js';
import { monotonicMs, type Clock } from './clock.js';
import type { LatencyHistogram } from './latency.js';
import { MessageRing } from './message-ring.js';
import { isRelay, type Relay, type Sink } from './sink.js';
import type { TurnFlush } from './turn-flush.js';
import { DrainWatchdog } from './drain-watchdog.js';

export type { Sink } from './sink.js';

export interface OutboxLimits {
  /** Most messages waiting to be handed to the sink. */
  queueSize: number;
  /** Most bytes outstanding: queued messages + the sink's writableLength + the message being added. */
  queueBytes: number;
  overflow: OverflowPolicy;
  /** Close a recipient whose sink has not drained for this long (ms); 0 = never. */
  drainTimeoutMs: number;
  /** Artificial delay (ms) before each message; the owner may change it per recipient (delayMs). */
  sendDelayMs: number;
  cc: CcMode;
  /** AIMD window bounds in messages; DEFAULTS when absent. */
  cwndInitial?: number;
  cwndMin?: number;
  cwndMax?: number;
}

/** Server-wide totals every outbox adds to (src/core/counters.ts implements it). */
export interface OutboxTotals {
  /** Messages handed to sinks. */
  written: number;
  /** Time from a message entering an outbox to being handed to its sink, one sample per write. */
  readonly latency: LatencyHistogram;
}

export interface OutboxOptions {
  /** The server's end-of-turn flush (ctx.flush): every outbox of one hub shares one. */
  flush: TurnFlush;
  /** Monotonic ms; tests inject a hand-driven clock. All outboxes of a flush should share one. */
  clock?: Clock;
  totals?: OutboxTotals;
}

/** What an outbox tells its owner (the session). MUST NOT call back into push() synchronously. */
export interface OutboxEvents {
  /** A message for this recipient was dropped (counted already). */
  dropped(outbox: Outbox): void;
  /** Policy `disconnect`: the queue overflowed; the owner sends a final notice and closes. */
  overflowed(outbox: Outbox): void;
  /** The recipient caught up after losing `lost` messages; the owner sends ONE notice. */
  caughtUp(outbox: Outbox, lost: number): void;
  /** The sink made no progress for drainTimeoutMs; the owner closes the connection. */
  drainTimedOut(outbox: Outbox): void;
}

/** First and longest interval (ms) between looks at a sink that holds unacknowledged bytes. */
const POLL_MIN_MS = 2;
const POLL_MAX_MS = 200;

/**
 * The per-recipient outgoing queue: the one place where flow and congestion control live.
 *
 *   push() ---> [queue: bounded by messages and bytes, overflow policy] -> gate -> sink
 *   reply() -'   (the same queue and bounds; refused, never evicting, when full)
 *
 * The gate (allowance()) is the single decision of how many queued messages may go to the sink
 * now: none while the sink pushes back, at most the congestion window minus what is outstanding,
 * and at most one message per send delay, except that replies at the head of the queue are not delayed.
 * The queue itself is the MessageRing this class extends; the end-of-turn flush is the server's TurnFlush; the drain
 * timeout is a DrainWatchdog; a simulated link (--link-rate) is a Relay the member puts around the
 * transport, which this outbox sees as its sink.
 *
 * Contract:
 * - push() and reply() MUST NOT block, await or throw; the hub calls push() in its fan-out loop.
 *   They are O(1) and allocation-free once the ring has grown to the recipient's high-water mark.
 * - Writes are coalesced: messages pushed during one event-loop turn go to the sink as one write at
 *   the end of the turn (or earlier, when the queue would otherwise overflow while the gate is open).
 *   An outbox is listed at most once per turn for that end-of-turn flush, however often it sends
 *   early. Recipients whose queues hold the very same Buffers (one broadcast) share one joined chunk.
 * - A message is "queued" until it is handed to the sink. The sink is only given bytes while it is not
 *   blocked (its last write() returned true or it has drained since).
 * - Memory is bounded: at most queueSize messages and queueBytes bytes (including the sink's own
 *   buffer) per recipient, whatever the recipient does. Chat (push) and replies to the user's own
 *   commands (reply) share these bounds; only pushControl() may exceed them, and only by the few
 *   server-originated messages a connection can have outstanding (see there).
 * - Order is FIFO across push(), reply() and pushControl().
 * - The send delay (delayMs) holds every message but replies. A new delay applies at once, counted
 *   from the last delayed message handed over (lowering /slow does not wait out the old deadline).
 *   A reply at the head of the queue goes as soon as the blocked gate and the window allow, and does
 *   not move the next message's deadline: /slow 60000 does not hold the answers to commands.
 * - Loss: `dropped` (and events.dropped) counts chat messages the overflow policy discarded. The one
 *   catch-up notice (events.caughtUp) counts every line the user did not get: chat drops, refused
 *   replies, and replies drop-oldest evicted. A refused reply is not a chat drop: no one else's
 *   message was lost, the caller refuses the command instead, and counting it as a drop would let a
 *   user inflate the drop counters and the DROP log at will.
 * - Timers (send delay, polling a full sink, drain timeout) are per outbox, unref'd, and only armed
 *   while something waits.
 */
export class Outbox extends MessageRing {
  private blocked = false;
  /** The flush turn (TurnFlush.turn) this outbox is listed for; listed at most once per turn. */
  private listedFor = -1;
  /** Lines the user did not get since the last catch-up notice: chat drops and refused replies. */
  private lostSinceNotice = 0;
  private readonly cc: CongestionWindow;
  /** Messages handed to the sink since it was last seen empty. */
  private outstanding = 0;
  /** Messages waited for the window during this round (only such rounds grow it). */
  private windowLimited = false;
  private delay: number;
  /** With a send delay: the earliest time the next message other than a reply may go. */
  private readyAt = 0;
  /** When the last message other than a reply was handed over; -Infinity before the first. */
  private lastSendAt = Number.NEGATIVE_INFINITY;
  /** The sink when it is a Relay (the simulated link): it takes the socket's drains. */
  private readonly relay: Relay | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private pollMs = POLL_MIN_MS;
  private readonly watchdog: DrainWatchdog;
  private readonly turns: TurnFlush;
  readonly clock: Clock;
  private readonly totals: OutboxTotals | undefined;
  closed = false;

  /** Counters, read by /stats and metrics. */
  enqueued = 0;
  written = 0;
  dropped = 0;
  /** Largest queue depth seen since the last stats sample (reset by the reader). */
  peakDepth = 0;
  /** Longest time (ms) a message waited in this outbox since the last sample (reset by the reader). */
  peakLatencyMs = 0;

  constructor(
    private readonly sink: Sink,
    readonly limits: OutboxLimits,
    private readonly events: OutboxEvents,
    options: OutboxOptions,
  ) {
    super(limits.queueSize + 4);
    this.turns = options.flush;
    this.clock = options.clock ?? monotonicMs;
    this.totals = options.totals;
    this.cc =
      limits.cc === 'aimd'
        ? new Aimd({ cwndInitial: limits.cwndInitial ?? DEFAULTS.cwndInitial, cwndMin: limits.cwndMin ?? DEFAULTS.cwndMin, cwndMax: limits.cwndMax ?? DEFAULTS.cwndMax })
        : NO_WINDOW;
    this.delay = limits.sendDelayMs;
    this.watchdog = new DrainWatchdog(limits.drainTimeoutMs, this.clock, () => this.events.drainTimedOut(this));
    this.relay = isRelay(sink) ? sink : undefined;
    this.relay?.attach(() => this.progress());
  }

  /** Messages waiting to be handed to the sink. */
  get depth(): number {
    return this.queued;
  }

  /** Bytes outstanding in user space: queued plus what the sink (and a simulated link) holds. */
  get bytes(): number {
    return this.queuedBytes + this.sink.writableLength;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** The congestion window in messages (Infinity with --cc none). */
  get window(): number {
    return this.cc.window;
  }

  /** Messages handed to the sink that it has not finished taking. */
  get inFlight(): number {
    return this.outstanding;
  }

  /** Artificial delay (ms) before each message to this recipient (--send-delay, --slow, /slow). */
  get delayMs(): number {
    return this.delay;
  }

  set delayMs(ms: number) {
    this.delay = Math.max(0, ms);
    // Counted from the last send, not from the deadline the old delay set: /slow 60000 then
    // /slow 100 must not hold the next line for the rest of the minute.
    this.readyAt = this.lastSendAt + this.delay;
    this.clearWake();
    if (this.queued > 0) this.schedule();
  }

  /** Adds one rendered chat message. Returns false if it was dropped (or the outbox is closed). */
  push(message: Buffer): boolean {
    if (this.closed) return false;
    if (!this.fits(message.length)) return this.overflow(message);
    this.append(message, 0);
    return true;
  }

  /**
   * Adds the server's answer to a command this user sent, within the same bounds as chat. Returns
   * false, queueing nothing, when it does not fit (or the outbox is closed); the caller then refuses
   * the command. A refusal never evicts queued chat and never triggers the overflow policy; it counts
   * toward the catch-up notice but not as a drop (see the contract above). An accepted reply keeps
   * its place in line but is exempt from the send delay.
   */
  reply(message: Buffer): boolean {
    if (this.closed) return false;
    if (!this.fits(message.length)) {
      this.lostSinceNotice++;
      return false;
    }
    this.append(message, 1);
    return true;
  }

  /**
   * Whether a reply of `bytes` would be accepted now. When not, the refusal is counted toward the
   * catch-up notice as reply() counts it. Asked before a command with side effects runs, so a user
   * over their bounds has the command refused rather than done without telling them.
   */
  admitsReply(bytes: number): boolean {
    if (!this.closed && this.fits(bytes)) return true;
    this.lostSinceNotice++;
    return false;
  }

  /**
   * Adds a message that bypasses the bounds, for the few server-originated messages a connection
   * can have outstanding at once, none of which the user can repeat at will: the welcome at login,
   * the single catch-up notice (caughtUp fires only once the queue has emptied) and the single
   * farewell (shutdown, overflow, kick) that precedes finish() or close(). Anything a user can
   * trigger repeatedly, command output included, goes through reply() or push().
   */
  pushControl(message: Buffer): void {
    if (this.closed) return;
    this.append(message, 0);
  }

  /** The socket drained after a write returned false. Called by the session on 'drain'. */
  drained(): void {
    if (this.closed) return;
    if (this.relay) this.relay.innerDrained();
    else this.progress();
  }

  /** Hands to the sink everything the gate allows now (`now`: the caller's reading of this.clock). */
  flush(now: number = this.clock()): void {
    this.send(now);
  }

  /**
   * Hands everything queued to the sink at once, ignoring the gate: for a connection that is ending
   * (quit, kick, shutdown), so its last notices are not held back by a delay or the window.
   */
  finish(): void {
    if (this.closed || this.queued === 0) return;
    this.sink.write(this.take(this.queued, this.clock()));
  }

  /** Stops all output and timers; queued messages are discarded. */
  close(): void {
    this.closed = true;
    this.clearQueue();
    this.clearWake();
    this.watchdog.stop();
    this.relay?.close();
  }

  /**
   * The gate: how many queued messages may go to the sink now. Every rule can only lower the
   * count; send() asks again whenever something that could raise it happens (ack, drain, timer).
   */
  private allowance(now: number): number {
    if (this.blocked) return 0;
    const n = Math.min(this.queued, this.cc.window - this.outstanding);
    if (this.delay === 0 || n <= 0) return n;
    const replies = this.queuedReplies > 0 ? this.leadingReplies(n) : 0;
    if (replies > 0) return replies;
    return now >= this.readyAt ? 1 : 0;
  }

  /** Hands gated batches to the sink until the gate closes or the queue is empty. */
  private send(now: number): void {
    if (this.closed || this.blocked) return;
    while (this.queued > 0) {
      if (this.outstanding > 0 && this.sink.writableLength === 0) this.ack();
      const n = this.allowance(now);
      if (n < this.queued && this.outstanding + n >= this.cc.window) this.windowLimited = true;
      if (n <= 0) return this.waitForGate(now);
      const chunk = this.take(n, now);
      this.outstanding += n;
      if (!this.sink.write(chunk, this.onWritten)) {
        this.blocked = true;
        this.cc.congested();
        this.watchdog.stalled(now);
        return;
      }
    }
    if (this.outstanding > 0 && this.sink.writableLength === 0) this.ack();
    if (this.lostSinceNotice > 0) {
      const lost = this.lostSinceNotice;
      this.lostSinceNotice = 0;
      this.events.caughtUp(this, lost);
    }
  }

  /** Removes the first `n` queued messages and returns them as one buffer. */
  private take(n: number, now: number): Buffer {
    const lat = now - this.oldestStamp;
    if (lat > this.peakLatencyMs) this.peakLatencyMs = lat;
    const replies = this.queuedReplies > 0 ? this.repliesAmong(n) : 0;
    const chunk = this.dequeue(n, replies, this.turns.joins);
    this.written += n;
    // Replies neither wait for the delay nor move it: only the other messages restart the clock.
    if (replies < n) {
      this.lastSendAt = now;
      if (this.delay > 0) this.readyAt = now + this.delay;
    }
    if (this.totals) {
      this.totals.written += n;
      this.totals.latency.observe(lat > 0 ? lat : 0);
    }
    return chunk;
  }

  /** The sink holds nothing any more: everything outstanding arrived; a round of the window ends. */
  private ack(): void {
    this.cc.acked(this.outstanding, this.windowLimited);
    this.windowLimited = false;
    this.outstanding = 0;
    this.watchdog.progressed();
    this.pollMs = POLL_MIN_MS;
  }

  /** The gate is shut with messages waiting: arrange to look again when it may open. */
  private waitForGate(now: number): void {
    if (this.outstanding >= this.cc.window) {
      // Waiting for the sink to take what it has: no event says when, so look again with backoff.
      this.watchdog.stalled(now);
      this.wake(this.pollMs, now);
      this.pollMs = Math.min(this.pollMs * 2, POLL_MAX_MS);
    } else if (this.delay > 0) {
      this.wake(this.readyAt - now, now);
    }
  }

  /** The sink made progress (drained, or the link ran empty): unblock and send what is waiting. */
  private progress(): void {
    if (this.closed) return;
    this.blocked = false;
    this.watchdog.progressed();
    this.send(this.clock());
  }

  /** Write-completion callback for sinks that support it: an early chance to end the round. */
  private readonly onWritten = (): void => {
    if (!this.closed && !this.blocked && this.queued > 0 && this.outstanding > 0 && this.sink.writableLength === 0) this.send(this.clock());
  };

  /** Whether `incoming` bytes fit, after handing the sink what the gate allows if they do not yet. */
  private fits(incoming: number): boolean {
    if (!this.isFull(incoming)) return true;
    if (!this.blocked && this.queued > 0) this.send(this.clock());
    return !this.isFull(incoming);
  }

  private isFull(incoming: number): boolean {
    return this.queued >= this.limits.queueSize || this.queuedBytes + this.sink.writableLength + incoming > this.limits.queueBytes;
  }

  /** `reply`: 1 for reply(), 0 for chat and control messages. */
  private append(message: Buffer, reply: 0 | 1): void {
    const stamp = this.turns.stamp(this.clock);
    this.enqueue(message, stamp, reply);
    this.enqueued++;
    if (this.queued > this.peakDepth) this.peakDepth = this.queued;
    // The first delayed message of an idle queue waits a full delay too, as the seed's sender thread
    // slept before each send; replies are not delayed and so do not start that wait.
    if (this.delay > 0 && reply === 0 && this.queued - this.queuedReplies === 1 && this.readyAt < stamp + this.delay) this.readyAt = stamp + this.delay;
    this.schedule();
  }

  private schedule(): void {
    // Not cleared by early sends (push() on a full queue): an outbox stays listed until the turn's
    // flush, so a recipient of many messages in one turn is listed once, not once per early send.
    const turns = this.turns;
    if (this.listedFor === turns.turn) return;
    this.listedFor = turns.turn;
    turns.list(this);
  }

  private overflow(message: Buffer): boolean {
    switch (this.limits.overflow) {
      case 'drop-newest':
        this.countDrop();
        return false;
      case 'drop-oldest': {
        // Make room by discarding from the front until the new message fits (or the queue is empty).
        // An evicted reply is a line the user did not get, but not a chat drop.
        while (this.queued > 0 && this.isFull(message.length)) {
          if (this.dropOldest() === 1) this.lostSinceNotice++;
          else this.countDrop();
        }
        if (this.isFull(message.length)) {
          this.countDrop();
          return false;
        }
        this.append(message, 0);
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
    this.cc.congested();
    this.events.dropped(this);
  }

  private wake(ms: number, now: number): void {
    const at = now + Math.max(0, ms);
    if (this.wakeTimer) {
      if (this.wakeAt <= at) return;
      clearTimeout(this.wakeTimer);
    }
    this.wakeAt = at;
    this.wakeTimer = setTimeout(onWake, Math.max(1, Math.ceil(ms)), this);
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** Called by the wake timer. */
  woken(): void {
    this.wakeTimer = undefined;
    this.send(this.clock());
  }
}

function onWake(outbox: Outbox): void {
  outbox.woken();
}
