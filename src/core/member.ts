import type { Account } from './accounts.js';
import type { CloseCode } from './close-reasons.js';
import { isOrdinaryClose } from './close-reasons.js';
import type { ChatContext } from './context.js';
import type { Renderer } from './events.js';
import type { Member } from './hub.js';
import { FloodControl, type FloodLimits } from './flood.js';
import { DEFAULTS } from './limits.js';
import { IdleTimer } from './idle-timer.js';
import { Outbox, type OutboxEvents, type OutboxLimits } from './outbox.js';
import { PacedSink } from './paced-sink.js';
import type { Transport } from './transport.js';

/** What every member's set-up reads: the outbox bounds, flood control, idle timeout, send delays. */
export interface MemberSettings extends OutboxLimits, FloodLimits {
  /** Close members with no input for this many ms; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Per-user send delays (--slow USER=MS), overriding sendDelayMs. */
  readonly slow: ReadonlyMap<string, number>;
  /** Simulated link bandwidth (--link-rate) in bytes per second; 0 = none. */
  readonly linkRate: number;
}

/** What a protocol session gives its member. */
export interface MemberHost {
  readonly transport: Transport;
  readonly renderer: Renderer;
  /** The member has left the chat (any cause). Called once, from leave(): the session stops taking input. */
  left(code: CloseCode): void;
}

/**
 * A logged-in user, whatever the protocol: the one place for the member lifecycle. A protocol
 * session holds one (composition, not a base class) from the moment its login is admitted.
 *
 * Contract:
 * - Built only by `admit` (src/core/login.ts), after the name was claimed; it enters the hub there.
 * - Everything the member receives goes through its Outbox. Replies to the user's own commands
 *   (`reply`) count in the outbox bounds; only single server-originated lines (the catch-up
 *   notice, the farewell) bypass them, and there is at most one of each outstanding.
 * - `leave` is the one way out of the hub: it runs once, whatever ended the session (quit, kick,
 *   overflow, drain timeout, idle timeout, shutdown, the peer), releases the name claim, logs
 *   `[DISCONNECTED]`, and tells the session (`host.left`).
 * - Outbox events fire inside the hub's fan-out loop: they may close the outbox at once but defer
 *   leaving the hub to the next turn.
 */
export class ChatMember implements Member, OutboxEvents {
  readonly rooms = new Set<string>();
  readonly renderer: Renderer;
  readonly outbox: Outbox;
  /** Bandwidth (bytes/s) of the simulated link put around this member's transport; 0 = none. */
  readonly linkRate: number;
  /** Inbound flood control; only with a flood rate above 0. The session's input gate consults it. */
  readonly flood: FloodControl | undefined;
  /** Messages (chat, private, actions) received from this user. */
  messagesIn = 0;
  /** A status message the user set (IRC's AWAY); undefined = present. Shown by protocols that have one. */
  away: string | undefined;
  /** When the user logged in, wall-clock ms (IRC's WHOIS signon time). */
  readonly signedOnAt: number;
  /** Monotonic ms of the user's last input (IRC's WHOIS idle time). */
  lastInputAt: number;
  private readonly idle: IdleTimer | undefined;
  private ended = false;

  constructor(
    readonly ctx: ChatContext,
    readonly account: Account,
    private readonly host: MemberHost,
  ) {
    const s = ctx.settings;
    this.renderer = host.renderer;
    // The simulated link is a wrapper around the transport, chosen here once: without --link-rate
    // the outbox writes to the transport itself and the send path has no extra layer.
    this.linkRate = s.linkRate;
    const sink = s.linkRate > 0 ? new PacedSink(host.transport, s.linkRate, ctx.clock) : host.transport;
    this.outbox = new Outbox(sink, s, this, { flush: ctx.flush, clock: ctx.clock, totals: ctx.counters });
    this.outbox.delayMs = s.slow.get(account.name) ?? s.sendDelayMs;
    this.flood = s.floodRate > 0 ? new FloodControl(s, ctx.clock) : undefined;
    this.signedOnAt = ctx.hub.now();
    this.lastInputAt = ctx.clock();
    if (s.idleTimeoutMs > 0) this.idle = new IdleTimer(s.idleTimeoutMs, () => this.idledOut(), ctx.clock);
  }

  get name(): string {
    return this.account.name;
  }

  get admin(): boolean {
    return this.account.admin;
  }

  /** False once the member has left. */
  get active(): boolean {
    return !this.ended;
  }

  get transport(): Transport {
    return this.host.transport;
  }

  /** Input arrived: resets the idle timeout. Cheap (stores a time). */
  touch(): void {
    this.lastInputAt = this.ctx.clock();
    this.idle?.touch();
  }

  /**
   * Bytes answering the user's own request (command output), within the outbox bounds. False when
   * they do not fit now: nothing was queued and the caller treats the request as refused.
   */
  reply(bytes: Buffer): boolean {
    return this.outbox.reply(bytes);
  }

  /**
   * Whether a command may run now: false (and counted toward the catch-up notice) when the user is
   * so far behind that even a short reply would not fit. Every protocol asks before a command.
   */
  readyForCommand(): boolean {
    return this.outbox.admitsReply(DEFAULTS.commandReplyReserve);
  }

  /** One line of server text answering the user's own request; see reply(). */
  notice(text: string): boolean {
    return this.reply(this.renderer.render({ kind: 'notice', text }));
  }

  /**
   * Ends the session gracefully: what is queued goes out at once (ignoring delays and the window),
   * then `farewell` (rendered as the protocol's closing line), then the connection closes.
   * `reason`: the user's own parting words, shown to their neighbours where a protocol can (IRC).
   */
  quit(code: CloseCode, farewell?: string, reason?: string): void {
    if (!this.ended && !this.outbox.closed) {
      if (farewell !== undefined) this.outbox.pushControl(this.renderer.render({ kind: 'closing', text: farewell }));
      this.outbox.finish();
    }
    this.leave(code, reason);
    this.host.transport.end(code);
  }

  /** Leaves the hub (with the user's parting words, if any), releases the name and stops the timers. Runs once. */
  leave(code: CloseCode, words?: string): void {
    if (this.ended) return;
    this.ended = true;
    const { hub, claims, log, shuttingDown } = this.ctx;
    const reason = shuttingDown ? 'SHUTDOWN' : code;
    this.idle?.stop();
    this.outbox.close();
    hub.remove(this, !shuttingDown, words);
    claims.release(this.name, this.host);
    this.host.left(reason);
    log.event('DISCONNECTED', `${this.name}${isOrdinaryClose(reason) ? '' : ` (${reason})`}`, { user: this.name, reason });
  }

  // --- OutboxEvents ---

  dropped(): void {
    this.ctx.counters.drops++;
    this.ctx.log.event('DROP', `Queue full for ${this.name}`, { user: this.name });
  }

  overflowed(): void {
    // Inside a fan-out loop: stop taking messages now, write the farewell past the closed outbox,
    // leave on the next turn.
    this.outbox.close();
    this.host.transport.write(this.renderer.render({ kind: 'closing', text: 'Disconnected: send queue exceeded.', code: 'SENDQ_EXCEEDED' }));
    setImmediate(quitOverflowed, this);
  }

  caughtUp(_outbox: Outbox, lost: number): void {
    const text = `${lost} message${lost === 1 ? ' was' : 's were'} dropped because your connection is too slow.`;
    this.outbox.pushControl(this.renderer.render({ kind: 'notice', text }));
  }

  drainTimedOut(): void {
    this.leave('DRAIN_TIMEOUT');
    this.host.transport.destroy('DRAIN_TIMEOUT');
  }

  private idledOut(): void {
    if (this.ended || this.ctx.shuttingDown) return;
    this.quit('IDLE_TIMEOUT', `Disconnected: no input for ${seconds(Math.ceil(this.ctx.settings.idleTimeoutMs / 1000))}.`);
  }
}

/** `1 second`, `30 seconds`. */
export function seconds(n: number): string {
  return `${n} second${n === 1 ? '' : 's'}`;
}

function quitOverflowed(m: ChatMember): void {
  m.quit('SENDQ_EXCEEDED');
}
