import type { CcMode, OverflowPolicy } from './limits.js';
import { DEFAULTS } from './limits.js';
import { Aimd, NO_WINDOW, type CongestionWindow } from './congestion.js';
import { monotonicMs, type Clock } from './clock.js';
import type { LatencyHistogram } from './latency.js';
import { PacedSink } from './paced-sink.js';

/**
 * Where an outbox hands its bytes: a socket, seen through the two things flow control needs.
 * Implemented by src/net/connection.ts (and by the simulated link, src/core/paced-sink.ts).
 */
export interface Sink {
  /**
   * Hands bytes to the transport; false means "stop until drained" (Node's write() backpressure).
   * `done`, when the sink supports it, is called once the chunk has left user space; a sink may
   * ignore it, and the outbox then watches writableLength instead.
   */
  write(chunk: Buffer, done?: () => void): boolean;
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
  /** Artificial delay (ms) before each message; the owner may change it per recipient (delayMs). */
  sendDelayMs: number;
  /** Simulated link bandwidth in bytes per second; 0 = none. */
  linkRate: number;
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
  /** Monotonic ms; tests inject a hand-driven clock. All outboxes of a process should share one. */
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

/** Slots a new outbox's ring starts with; it doubles when full. */
const RING_INITIAL = 8;

/** First and longest interval (ms) between looks at a sink that holds unacknowledged bytes. */
const POLL_MIN_MS = 2;
const POLL_MAX_MS = 200;

/**
 * The per-recipient outgoing queue: the one place where flow and congestion control live.
 *
 *   push() ---> [queue: bounded by messages and bytes, overflow policy] -> gate -> sink (-> link)
 *   reply() -'   (the same queue and bounds; refused, never evicting, when full)
 *
 * The gate (allowance()) is the single decision of how many queued messages may go to the sink
 * now: none while the sink pushes back, at most the congestion window minus what is outstanding,
 * and at most one message per send delay, except that replies at the head of the queue are not delayed.
 *
 * Contract:
 * - push() and reply() MUST NOT block, await or throw; the hub calls push() in its fan-out loop.
 *   They are O(1) and allocation-free once the ring has grown to the recipient's high-water mark
 *   (the ring starts small and doubles when full, so an idle recipient costs little).
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
export class Outbox {
  private ring: Array<Buffer | undefined>;
  private stamps: Float64Array;
  private mask: number;
  private head = 0;
  private count = 0;
  private queuedBytes = 0;
  /** Per slot: 1 = a reply (exempt from the send delay), 0 = chat or control. */
  private replyFlags: Uint8Array;
  /** Replies queued. */
  private replies = 0;
  private blocked = false;
  /** The end-of-turn flush (flushTurn) whose list holds this outbox; listed at most once per turn. */
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
  private sink: Sink;
  private link: PacedSink | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private pollMs = POLL_MIN_MS;
  private drainTimer: NodeJS.Timeout | undefined;
  /** When the outbox started waiting on a sink that makes no progress; 0 = not waiting. */
  private stallSince = 0;
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
    private readonly socket: Sink,
    readonly limits: OutboxLimits,
    private readonly events: OutboxEvents,
    options: OutboxOptions = {},
  ) {
    this.clock = options.clock ?? monotonicMs;
    this.totals = options.totals;
    // Start small and grow on demand (doubling, up to what the bounds let pile up): a ring sized for
    // --queue-size up front cost 16 KiB per idle connection with --queue-size 1000.
    const capacity = ringCapacity(Math.min(limits.queueSize + 4, RING_INITIAL));
    this.ring = new Array<Buffer | undefined>(capacity);
    this.stamps = new Float64Array(capacity);
    this.replyFlags = new Uint8Array(capacity);
    this.mask = capacity - 1;
    this.cc =
      limits.cc === 'aimd'
        ? new Aimd({ cwndInitial: limits.cwndInitial ?? DEFAULTS.cwndInitial, cwndMin: limits.cwndMin ?? DEFAULTS.cwndMin, cwndMax: limits.cwndMax ?? DEFAULTS.cwndMax })
        : NO_WINDOW;
    this.delay = limits.sendDelayMs;
    this.sink = socket;
    if (limits.linkRate > 0) this.linkRate = limits.linkRate;
  }

  /** Messages waiting to be handed to the sink. */
  get depth(): number {
    return this.count;
  }

  /** Bytes outstanding in user space: queued plus what the sink (and the simulated link) holds. */
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
    if (this.count > 0) this.schedule();
  }

  /** Simulated bandwidth (bytes/s) of this recipient's link; 0 = unlimited. */
  get linkRate(): number {
    return this.link?.rate ?? 0;
  }

  set linkRate(bytesPerSecond: number) {
    if (this.closed) return;
    if (this.link) this.link.setRate(bytesPerSecond);
    else if (bytesPerSecond > 0) this.sink = this.link = new PacedSink(this.socket, bytesPerSecond, this.linkEmptied, this.clock);
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
    if (this.link) this.link.innerDrained();
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
    if (this.closed || this.count === 0) return;
    this.sink.write(this.take(this.count, this.clock()));
  }

  /** Stops all output and timers; queued messages are discarded. */
  close(): void {
    this.closed = true;
    this.ring.fill(undefined);
    this.count = 0;
    this.replies = 0;
    this.queuedBytes = 0;
    this.clearWake();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.link?.close();
  }

  /**
   * The gate: how many queued messages may go to the sink now. Every rule can only lower the
   * count; send() asks again whenever something that could raise it happens (ack, drain, timer).
   */
  private allowance(now: number): number {
    if (this.blocked) return 0;
    const n = Math.min(this.count, this.cc.window - this.outstanding);
    if (this.delay === 0 || n <= 0) return n;
    const replies = this.replies > 0 ? this.leadingReplies(n) : 0;
    if (replies > 0) return replies;
    return now >= this.readyAt ? 1 : 0;
  }

  /** How many of the first `n` queued messages are replies. */
  private repliesAmong(n: number): number {
    let replies = 0;
    for (let i = 0, j = this.head; i < n; i++, j = (j + 1) & this.mask) replies += this.replyFlags[j]!;
    return replies;
  }

  /** How many of the first `max` queued messages are replies, counting from the head until chat. */
  private leadingReplies(max: number): number {
    let n = 0;
    for (let j = this.head; n < max && this.replyFlags[j] === 1; j = (j + 1) & this.mask) n++;
    return n;
  }

  /** Hands gated batches to the sink until the gate closes or the queue is empty. */
  private send(now: number): void {
    if (this.closed || this.blocked) return;
    while (this.count > 0) {
      if (this.outstanding > 0 && this.sink.writableLength === 0) this.ack();
      const n = this.allowance(now);
      if (n < this.count && this.outstanding + n >= this.cc.window) this.windowLimited = true;
      if (n <= 0) return this.waitForGate(now);
      const chunk = this.take(n, now);
      this.outstanding += n;
      if (!this.sink.write(chunk, this.onWritten)) {
        this.blocked = true;
        this.cc.congested();
        this.stalled(now);
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
    const lat = now - this.stamps[this.head]!;
    if (lat > this.peakLatencyMs) this.peakLatencyMs = lat;
    const chunk = n === 1 ? this.ring[this.head]! : join(this.ring, this.head, this.mask, n);
    const replies = this.replies > 0 ? this.repliesAmong(n) : 0;
    for (let i = 0; i < n; i++) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    }
    this.count -= n;
    this.replies -= replies;
    this.queuedBytes -= chunk.length;
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
    this.stallSince = 0;
    this.pollMs = POLL_MIN_MS;
  }

  /** The gate is shut with messages waiting: arrange to look again when it may open. */
  private waitForGate(now: number): void {
    if (this.outstanding >= this.cc.window) {
      // Waiting for the sink to take what it has: no event says when, so look again with backoff.
      this.stalled(now);
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
    this.stallSince = 0;
    this.send(this.clock());
  }

  private readonly linkEmptied = (): void => this.progress();

  /** Write-completion callback for sinks that support it: an early chance to end the round. */
  private readonly onWritten = (): void => {
    if (!this.closed && !this.blocked && this.count > 0 && this.outstanding > 0 && this.sink.writableLength === 0) this.send(this.clock());
  };

  /** Whether `incoming` bytes fit, after handing the sink what the gate allows if they do not yet. */
  private fits(incoming: number): boolean {
    if (!this.isFull(incoming)) return true;
    if (!this.blocked && this.count > 0) this.send(this.clock());
    return !this.isFull(incoming);
  }

  private isFull(incoming: number): boolean {
    return this.count >= this.limits.queueSize || this.queuedBytes + this.sink.writableLength + incoming > this.limits.queueBytes;
  }

  /** `reply`: 1 for reply(), 0 for chat and control messages. */
  private append(message: Buffer, reply: 0 | 1): void {
    if (this.count === this.ring.length) this.grow();
    const stamp = turnStamp(this.clock);
    const slot = (this.head + this.count) & this.mask;
    this.ring[slot] = message;
    this.stamps[slot] = stamp;
    this.replyFlags[slot] = reply;
    this.count++;
    this.replies += reply;
    this.queuedBytes += message.length;
    this.enqueued++;
    if (this.count > this.peakDepth) this.peakDepth = this.count;
    // The first delayed message of an idle queue waits a full delay too, as the seed's sender thread
    // slept before each send; replies are not delayed and so do not start that wait.
    if (this.delay > 0 && reply === 0 && this.count - this.replies === 1 && this.readyAt < stamp + this.delay) this.readyAt = stamp + this.delay;
    this.schedule();
  }

  private schedule(): void {
    // Not cleared by early sends (push() on a full queue): an outbox stays listed until the turn's
    // flush, so a recipient of many messages in one turn is listed once, not once per early send.
    if (this.listedFor === flushTurn) return;
    this.listedFor = flushTurn;
    scheduleFlush(this);
  }

  private grow(): void {
    const capacity = this.ring.length * 2;
    const ring = new Array<Buffer | undefined>(capacity);
    const stamps = new Float64Array(capacity);
    const replyFlags = new Uint8Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      ring[i] = this.ring[j];
      stamps[i] = this.stamps[j]!;
      replyFlags[i] = this.replyFlags[j]!;
    }
    this.ring = ring;
    this.stamps = stamps;
    this.replyFlags = replyFlags;
    this.mask = capacity - 1;
    this.head = 0;
  }

  private overflow(message: Buffer): boolean {
    switch (this.limits.overflow) {
      case 'drop-newest':
        this.countDrop();
        return false;
      case 'drop-oldest': {
        // Make room by discarding from the front until the new message fits (or the queue is empty).
        // An evicted reply is a line the user did not get, but not a chat drop.
        while (this.count > 0 && this.isFull(message.length)) {
          const old = this.ring[this.head]!;
          const reply = this.replyFlags[this.head]!;
          this.ring[this.head] = undefined;
          this.head = (this.head + 1) & this.mask;
          this.count--;
          this.replies -= reply;
          this.queuedBytes -= old.length;
          if (reply === 1) this.lostSinceNotice++;
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

  // One lazy timer per stalled outbox: progress only resets stallSince; when the timer fires it
  // either finds progress was made, or no progress for the full timeout, or re-arms for the rest.
  private stalled(now: number): void {
    if (this.stallSince === 0) this.stallSince = now;
    if (this.limits.drainTimeoutMs > 0 && !this.drainTimer) this.startDrainTimer(this.limits.drainTimeoutMs);
  }

  private startDrainTimer(ms: number): void {
    this.drainTimer = setTimeout(onDrainTimer, Math.max(1, Math.ceil(ms)), this);
    this.drainTimer.unref();
  }

  /** Called by the drain timer. */
  drainCheck(): void {
    this.drainTimer = undefined;
    if (this.closed || this.stallSince === 0) return;
    const left = this.stallSince + this.limits.drainTimeoutMs - this.clock();
    if (left <= 0) this.events.drainTimedOut(this);
    else this.startDrainTimer(left);
  }
}

function ringCapacity(n: number): number {
  let c = 8;
  while (c < n) c *= 2;
  return c;
}

function onWake(outbox: Outbox): void {
  outbox.woken();
}

function onDrainTimer(outbox: Outbox): void {
  outbox.drainCheck();
}

// One setImmediate per event-loop turn flushes every outbox that got messages during the turn, so a
// broadcast to N recipients costs N writes, not N x messages. The same turn boundary gives every
// message its entry time: one clock read per turn, shared by all pushes of the turn.
// Two lists, swapped at each flush, so a turn allocates none; `flushTurn` numbers the flushes, and
// an outbox is listed for the current one at most once (Outbox.listedFor).
let dirty: Array<Outbox | undefined> = [];
let dirtyCount = 0;
let spare: Array<Outbox | undefined> = [];
let flushTurn = 0;
let flushPending = false;
let stampClock: Clock | undefined;
let stampTime = 0;

function turnStamp(clock: Clock): number {
  if (stampClock !== clock) {
    stampClock = clock;
    stampTime = clock();
  }
  return stampTime;
}

function scheduleFlush(outbox: Outbox): void {
  dirty[dirtyCount++] = outbox;
  if (!flushPending) {
    flushPending = true;
    setImmediate(flushAll);
  }
}

/** Run before every end-of-turn flush (see beforeFlush). */
const flushHooks = new Set<() => void>();

/**
 * Registers `hook` to run at the end of every turn, before any outbox hands its messages to a
 * socket: the SQLite store commits the turn's history there, so no recipient ever sees a line that
 * a crash could still lose. A hook MUST NOT throw and should be quick. Returns the unregister.
 */
export function beforeFlush(hook: () => void): () => void {
  flushHooks.add(hook);
  return () => flushHooks.delete(hook);
}

function flushAll(): void {
  flushPending = false;
  stampClock = undefined;
  for (const hook of flushHooks) hook();
  // Outboxes that get messages while this list is flushed go on the other list, for the next turn.
  flushTurn++;
  const batch = dirty;
  const n = dirtyCount;
  dirty = spare;
  dirtyCount = 0;
  spare = batch;
  // One clock read per turn (per clock), not per recipient.
  let clock: Clock | undefined;
  let now = 0;
  for (let i = 0; i < n; i++) {
    const outbox = batch[i]!;
    batch[i] = undefined; // a closed outbox must not stay reachable from the spare list
    if (outbox.clock !== clock) {
      clock = outbox.clock;
      now = clock();
    }
    outbox.flush(now);
  }
  forgetJoin();
  stampClock = undefined;
}

// The last join of several queued messages into one chunk, kept for the next take(). The hub pushes
// the very same Buffer to every recipient of a broadcast, and a turn's flush visits those recipients
// one after another, so when a turn leaves several messages queued for each of them, their queues
// hold the same Buffers in the same order and one joined chunk serves them all (sockets never modify
// what they are given). A reference comparison is O(n) and copies nothing, where each miss of it
// would copy every byte again; chosen over cork()/writev, which would need a second write path in
// every Sink (connection, simulated link) and still pay per-buffer bookkeeping for each recipient.
// Released at the end of each turn's flush, so it keeps at most one chunk alive between turns.
const joinedParts: Array<Buffer | undefined> = [];
let joinedCount = 0;
let joined: Buffer | undefined;

/** The `n` ring messages from `head` as one buffer, shared when it can be. */
function join(ring: ReadonlyArray<Buffer | undefined>, head: number, mask: number, n: number): Buffer {
  let size = 0;
  let same = joinedCount === n;
  for (let i = 0, j = head; i < n; i++, j = (j + 1) & mask) {
    const m = ring[j]!;
    size += m.length;
    if (same && m !== joinedParts[i]) same = false;
  }
  if (same && joined !== undefined) return joined;
  const chunk = Buffer.allocUnsafe(size);
  let off = 0;
  for (let i = 0, j = head; i < n; i++, j = (j + 1) & mask) {
    const m = ring[j]!;
    off += m.copy(chunk, off);
    joinedParts[i] = m;
  }
  for (let i = n; i < joinedCount; i++) joinedParts[i] = undefined;
  joinedCount = n;
  joined = chunk;
  return chunk;
}

function forgetJoin(): void {
  for (let i = 0; i < joinedCount; i++) joinedParts[i] = undefined;
  joinedCount = 0;
  joined = undefined;
}
