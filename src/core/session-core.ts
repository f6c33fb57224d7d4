import type { CloseCode } from './close-reasons.js';
import type { ChatContext } from './context.js';
import { FloodGate, type HeldInput } from './flood-gate.js';
import type { Account } from './accounts.js';
import { authenticate, checkPassword, claimName, type LoginOutcome, type PasswordOutcome } from './login.js';
import type { OfflineResult } from './history.js';
import type { ChatMember, MemberHost } from './member.js';
import type { Session, Transport } from './transport.js';
import { PingTimer } from './ping-timer.js';

/**
 * The protocol-independent half of a protocol session, which each session holds (composition):
 * input units kept in order while they are held (a password check in flight, flood control's
 * wait), the member once logged in, and the ways out of a connection.
 *
 * Contract:
 * - Units are handled one at a time, in arrival order, by the session's `handle`. Flood control
 *   (once logged in) is applied by the session through `flood`. While held,
 *   reading is paused and later units wait in `held`; the socket's own buffer bounds how many can
 *   pile up (one read).
 * - `closed()` is called once the session has ended (`left`): held input is dropped, nothing more
 *   is handled.
 * - `connectionClosed` and `shutdown` are the Session methods of the same names: the member leaves
 *   through ChatMember.leave; a connection that never logged in ends through the host's `left`.
 * - Every byte written to a client not logged in goes through `send` (answers) or `end`'s last
 *   words (one farewell): there is no outbox yet, so `send` applies the outbox's byte bound itself.
 *   A client that leaves more than queueBytes unsent (it sends and never reads) is closed
 *   SENDQ_EXCEEDED in its protocol's words instead of being buffered for. The one exception is a
 *   WebSocket pong, which is never queued (skipped past DEFAULTS.wsPongBacklogBytes).
 */
export interface SessionHooks {
  /** Handles one input unit (a line, a message). */
  handle(unit: string): void;
  /** Not logged in within loginTimeoutMs: the session says so in its words and ends. */
  loginTimedOut(): void;
  /** Flood control refused input (once per run): the session says so in its words. */
  tooFast(ratePerS: number): void;
  /**
   * The last words to a client not logged in that is closed SENDQ_EXCEEDED (it does not read its
   * answers). Default: the renderer's `closing` with that code.
   */
  sendqFarewell?(): Buffer;
  /** Protocols with pings (a ping interval given): sends the protocol's ping. */
  sendPing?(): void;
  /** No input for an interval after a ping: the session closes in its words (PING_TIMEOUT). */
  pingTimedOut?(): void;
}

export class SessionCore implements HeldInput {
  member: ChatMember | undefined;
  /** Inbound flood control, once logged in with a flood rate above 0. */
  flood: FloodGate | undefined;
  private ended = false;
  private held: string[] = [];
  private holds = 0;
  private loginTimer: NodeJS.Timeout | undefined;
  /** The protocol's keepalive, when it has pings. */
  readonly pings: PingTimer | undefined;

  readonly transport: Transport;

  /**
   * `session`: the protocol session holding this core (its member's host, and these hooks).
   * `pingIntervalMs` > 0: a silent peer is pinged (hooks.sendPing) and then closed (hooks.pingTimedOut).
   */
  constructor(
    readonly ctx: ChatContext,
    private readonly session: MemberHost & SessionHooks,
    loginTimeoutMs: number,
    pingIntervalMs = 0,
  ) {
    this.transport = session.transport;
    this.loginTimer = setTimeout(onLoginTimer, loginTimeoutMs, this);
    this.loginTimer.unref();
    if (pingIntervalMs > 0) {
      this.pings = new PingTimer(pingIntervalMs, {
        active: () => this.accepting,
        ping: () => session.sendPing?.(),
        silent: () => session.pingTimedOut?.(),
      });
    }
  }

  /**
   * Bytes arrived from the peer: false when input is ignored now (ended, shutting down); else the
   * idle timeout and the keepalive hear of it and the session decodes the bytes.
   */
  received(): boolean {
    if (!this.accepting) return false;
    this.pings?.heard();
    this.member?.touch();
    return true;
  }

  /**
   * Starts a login: input is held while the password is checked; `done` renders the outcome (on
   * `ok` it must admit at once and call `admitted`); a bug in an account store goes to `failed`.
   */
  logIn(name: string, password: string, alive: () => boolean, done: (outcome: LoginOutcome) => void, failed: (err: unknown) => void): void {
    this.hold();
    const { remoteAddress: ip, remotePort: port } = this.transport;
    authenticate(this.ctx, { name, password, ip, port, alive }, this.session).then(done).catch(failed);
  }

  /**
   * The first half of a login (IRC SASL): the password checked with the same throttling, nothing
   * claimed. Input is held meanwhile; `done` must release it (an `ok` is followed by `claim` later).
   */
  checkPassword(name: string, password: string, alive: () => boolean, done: (outcome: PasswordOutcome) => void, failed: (err: unknown) => void): void {
    this.hold();
    const { remoteAddress: ip, remotePort: port } = this.transport;
    checkPassword(this.ctx, { name, password, ip, port, alive }).then(done).catch(failed);
  }

  /** The second half: claims a checked account's name; `done` as for logIn (on `ok`, admit at once). */
  claim(account: Account, alive: () => boolean, done: (outcome: LoginOutcome) => void, failed: (err: unknown) => void): void {
    this.hold();
    claimName(this.ctx, account, { ip: this.transport.remoteAddress, alive }, this.session).then(done).catch(failed);
  }

  /** The login was admitted: the session is a member from now on (flood control set up). */
  admitted(member: ChatMember): void {
    this.member = member;
    this.stopLoginTimer();
    if (member.flood !== undefined) this.flood = new FloodGate(member.flood, this.ctx.counters, this, (rate) => this.session.tooFast(rate));
  }

  /** Called by the login timer. */
  loginTimerFired(): void {
    this.loginTimer = undefined;
    if (this.member === undefined && this.accepting) this.session.loginTimedOut();
  }

  /** False once the session has ended, or while the server is shutting down (input is ignored then). */
  get accepting(): boolean {
    return !this.ended && !this.ctx.shuttingDown;
  }

  /** One input unit from the codec: handled now, or queued behind held ones. */
  input(unit: string): void {
    if (this.holds > 0 || this.held.length > 0) this.held.push(unit);
    else this.session.handle(unit);
  }

  /** Holds input (reading paused) until release(); holds nest. */
  hold(): void {
    if (this.holds++ === 0) this.transport.pause();
  }

  /** Holds input until `work` settles (an asynchronous command's answer keeps its place). */
  wait(work: Promise<unknown>): void {
    this.hold();
    work.then(
      () => this.release(),
      (err: unknown) => {
        this.release();
        this.ctx.log.error('ERROR', `while waiting for a command: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  /** Renders what became of a message kept for an offline user: at once, or (holding input) once stored. */
  afterOffline(result: OfflineResult | Promise<OfflineResult>, render: (result: OfflineResult) => void): void {
    if (typeof result === 'string') render(result);
    else this.wait(result.then(render));
  }

  /** Puts a unit back at the front and holds input (flood control's delay). */
  defer(unit: string): void {
    this.held.unshift(unit);
    this.hold();
  }

  release(): void {
    if (this.holds === 0 || --this.holds > 0) return;
    while (this.held.length > 0 && this.holds === 0 && !this.ended) this.session.handle(this.held.shift()!);
    if (this.holds === 0 && !this.ended) this.transport.resume();
  }

  /** The session has ended: drop held input, handle nothing more. */
  closed(): void {
    this.ended = true;
    this.held = [];
    this.stopLoginTimer();
    this.flood?.stop();
    this.pings?.stop();
  }

  drained(): void {
    this.member?.outbox.drained();
  }

  connectionClosed(code: CloseCode): void {
    if (this.member !== undefined) this.member.leave(code);
    else this.session.left(code);
  }

  /** Server shutdown: a logged-in member quits with the notice; before login, `farewell` is written and the connection ends. */
  shutdown(farewell: Buffer): void {
    if (this.ended) return;
    if (this.member !== undefined) return this.member.quit('SHUTDOWN', 'Server shutting down.');
    this.end('SHUTDOWN', farewell);
  }

  /**
   * Writes an answer to the client: once logged in, a reply within the outbox bounds
   * (member.reply); before, directly, unless more than queueBytes are still unsent, in which case
   * the connection is closed SENDQ_EXCEEDED (sendqFarewell, then end) and nothing more is written.
   * Ignored once the session has ended.
   */
  send(bytes: Buffer): void {
    if (this.member !== undefined) {
      this.member.reply(bytes);
      return;
    }
    if (this.ended) return;
    const unsent = this.transport.writableLength;
    if (unsent <= this.ctx.settings.queueBytes) {
      this.transport.write(bytes);
      return;
    }
    const { remoteAddress: ip, remotePort: port } = this.transport;
    this.ctx.log.event('SENDQ EXCEEDED', `('${ip}', ${port}) before login: ${unsent} bytes unsent`, { ip, port, unsent });
    const farewell = this.session.sendqFarewell?.() ?? this.session.renderer.render({ kind: 'closing', text: 'Disconnected: send queue exceeded.', code: 'SENDQ_EXCEEDED' });
    this.end('SENDQ_EXCEEDED', farewell);
  }

  /** Ends the session gracefully: the member quits, or the connection (not logged in) ends. */
  quit(code: CloseCode): void {
    if (this.member !== undefined) this.member.quit(code);
    else this.end(code);
  }

  /**
   * Closes a connection that is not (or no longer) logged in, after `lastWords` (the one farewell,
   * written whatever is unsent: a refusal, a timeout, SendQ exceeded). Once only.
   */
  end(code: CloseCode, lastWords?: Buffer): void {
    if (lastWords !== undefined && !this.ended) this.transport.write(lastWords);
    this.session.left(code);
    this.transport.end(code);
  }

  /**
   * A bug while handling input: logged with who and the stack. A logged-in user gets `notice` and
   * carries on; a connection not logged in is closed (INTERNAL_ERROR) after `notice`.
   */
  internalError(err: unknown, who: string, notice: (text: string) => void): void {
    this.ctx.log.error('ERROR', `while handling input from ${who}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { user: who });
    notice('Internal error.');
    if (this.member === undefined || !this.member.active) this.end('INTERNAL_ERROR');
  }

  private stopLoginTimer(): void {
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
  }
}

function onLoginTimer(core: SessionCore): void {
  core.loginTimerFired();
}

/**
 * The connection-facing Session of a protocol session that needs nothing of its own there: bytes
 * go to its codec once the core has heard them (idle timeout, keepalive), the rest to the core.
 * A protocol session hands this to its listener instead of implementing Session itself.
 */
export class CoreSession implements Session {
  constructor(
    readonly core: SessionCore,
    private readonly codec: { push(chunk: Buffer): void },
    /** What a connection not logged in gets at shutdown. */
    private readonly farewell: Buffer,
  ) {}

  data(chunk: Buffer): void {
    if (this.core.received()) this.codec.push(chunk);
  }

  drained(): void {
    this.core.drained();
  }

  closed(code: CloseCode): void {
    this.core.connectionClosed(code);
  }

  shutdown(): void {
    this.core.shutdown(this.farewell);
  }
}
