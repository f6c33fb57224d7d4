import type { Clock } from './clock.js';
import { JoinCache } from './join-cache.js';

/** What the flush calls: an Outbox. */
export interface Flushable {
  /** The clock the outbox reads; the flush reads each clock once per turn. */
  readonly clock: Clock;
  /** Hands the sink what the gate allows at `now` (a reading of `clock`). */
  flush(now: number): void;
}

/** What a durable store needs of the flush: a hook run before each turn's outboxes write. */
export interface FlushHooks {
  /**
   * Registers `hook` to run at the end of every turn that flushes anything, before any outbox hands
   * its messages to a socket. The hook MUST NOT throw. Returns the unregister.
   */
  beforeFlush(hook: () => void): () => void;
}

/**
 * The end-of-turn flush of one server: one setImmediate per event-loop turn flushes every outbox
 * that got messages during the turn, so a broadcast to N recipients costs N writes, not N x
 * messages. The same turn boundary gives every message its entry time: one clock read per turn,
 * shared by all pushes of the turn. Built once by src/server/server.ts and handed to whoever needs
 * it through the ChatContext (`ctx.flush`): each outbox, and the durable stores (beforeFlush).
 * Two servers (hubs) in one process have two flushes that share nothing.
 *
 * Contract:
 * - list() and stamp() MUST NOT block, throw or allocate per call once the lists have grown: they
 *   run in the hub's fan-out loop. An outbox is listed at most once per turn; the outbox keeps that
 *   mark itself (`turn` numbers the flushes: listed for the current one = listed).
 * - The flush runs from setImmediate, never inside a socket event or the fan-out loop, so nothing
 *   it does throws into a socket's handler or re-enters push().
 * - Every hook runs exactly once per flush, in registration order, before any outbox of that flush
 *   writes: the SQLite and Redis stores send the turn's history there, so no recipient sees a line
 *   before the store has it. A hook MUST NOT throw (a throwing hook would leave the turn's lines
 *   unsent, rather than send what the store may not keep) and should be quick.
 * - Outboxes that get messages while a flush runs (a hook, a caught-up notice) go on the other list,
 *   for the next turn; two lists swapped at each flush, so a turn allocates none.
 * - Nothing listed stays reachable after its flush (slots are cleared, the join cache forgotten).
 */
export class TurnFlush implements FlushHooks {
  /** Joined chunks shared by the recipients of one broadcast within one flush (see JoinCache). */
  readonly joins = new JoinCache();
  private dirty: Array<Flushable | undefined> = [];
  private dirtyCount = 0;
  private spare: Array<Flushable | undefined> = [];
  private turnNo = 0;
  private pending = false;
  private stampClock: Clock | undefined;
  private stampTime = 0;
  private readonly hooks = new Set<() => void>();

  /** Numbers the flushes: an outbox listed while this is `t` is flushed by flush number t + 1. */
  get turn(): number {
    return this.turnNo;
  }

  /** The entry time of a message pushed now: `clock` read once per turn (per clock). */
  stamp(clock: Clock): number {
    if (this.stampClock !== clock) {
      this.stampClock = clock;
      this.stampTime = clock();
    }
    return this.stampTime;
  }

  /** Lists `outbox` for the end of this turn. The caller lists each outbox at most once per turn. */
  list(outbox: Flushable): void {
    this.dirty[this.dirtyCount++] = outbox;
    if (!this.pending) {
      this.pending = true;
      setImmediate(runFlush, this);
    }
  }

  /** See FlushHooks and the contract above. */
  beforeFlush(hook: () => void): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /** The flush itself, run by setImmediate once per turn that listed anything. */
  run(): void {
    this.pending = false;
    this.stampClock = undefined;
    for (const hook of this.hooks) hook();
    this.turnNo++;
    const batch = this.dirty;
    const n = this.dirtyCount;
    this.dirty = this.spare;
    this.dirtyCount = 0;
    this.spare = batch;
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
    this.joins.forget();
    this.stampClock = undefined;
  }
}

function runFlush(flush: TurnFlush): void {
  flush.run();
}
