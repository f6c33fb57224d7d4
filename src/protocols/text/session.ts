import type { Member } from '../../core/hub.js';
import type { Account } from '../../core/accounts.js';
import type { CloseCode } from '../../core/close-reasons.js';
import { isOrdinaryClose } from '../../core/close-reasons.js';
import type { Session, Transport } from '../../core/transport.js';
import { Outbox, type OutboxEvents } from '../../core/outbox.js';
import { nameProblem } from '../../core/names.js';
import { stripControls } from '../../core/sanitize.js';
import { IdleTimer } from '../../core/idle-timer.js';
import type { ChatContext } from '../context.js';
import { LineDecoder, type LineSink } from './line-decoder.js';
import { LOGIN, seconds, textRenderer } from './render.js';
import { runCommand } from './commands.js';
import { TextFloodGate } from './flood-gate.js';
import './commands-flow.js';

type State = 'username' | 'password' | 'verifying' | 'chat' | 'closed';

/** Invalid usernames tolerated at the prompt before the connection is closed. */
const MAX_BAD_NAMES = 3;

/**
 * One text-protocol connection: the login exchange, then chat lines and commands.
 *
 * Contract:
 * - Lines are handled one at a time, in order. While a line's handling is asynchronous (password
 *   verification) or input is held back (flood control), reading is paused and later lines wait in
 *   `held`; the socket's own buffer bounds how many can pile up.
 * - After login the session is a hub Member; everything it receives goes through its Outbox.
 * - leave() is the one way out of the hub; it runs once, whatever ends the session.
 */
export class TextSession implements Session, Member, LineSink, OutboxEvents {
  readonly renderer = textRenderer;
  name = '';
  room = '';
  admin = false;
  outbox!: Outbox;
  /** Messages (chat, private, actions) received from this user. */
  messagesIn = 0;
  private state: State = 'username';
  private readonly decoder: LineDecoder;
  private held: string[] = [];
  private holds = 0;
  private pendingName = '';
  private badNames = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  /** Only with --idle-timeout, only once logged in. */
  private idleTimer: IdleTimer | undefined;
  /** Inbound flood control; only with --flood-rate above 0, only once logged in. */
  flood: TextFloodGate | undefined;

  constructor(
    readonly transport: Transport,
    readonly ctx: ChatContext,
  ) {
    this.decoder = new LineDecoder(ctx.config.maxLine, this);
    this.loginTimer = setTimeout(() => this.loginTimedOut(), ctx.config.loginTimeoutMs);
    this.loginTimer.unref();
    transport.write(LOGIN.usernamePrompt);
  }

  get loggedIn(): boolean {
    return this.state === 'chat';
  }

  // --- Session (driven by the connection) ---

  data(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.idleTimer?.touch();
    this.decoder.push(chunk);
    if (this.state === 'username' && !this.decoder.chunkFraming && this.decoder.pendingBytes > 0) this.armLegacyDetection();
  }

  drained(): void {
    if (this.state === 'chat') this.outbox.drained();
  }

  closed(code: CloseCode): void {
    this.leave(code);
  }

  shutdown(): void {
    if (this.state === 'closed') return;
    const notice = textRenderer.render({ kind: 'notice', text: 'Server shutting down.' });
    if (this.state === 'chat') {
      this.outbox.pushControl(notice);
      this.outbox.finish();
    } else {
      this.transport.write(notice);
    }
    this.transport.end('SHUTDOWN');
  }

  // --- LineSink (driven by the decoder) ---

  line(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    if (this.holds > 0 || this.held.length > 0) {
      this.held.push(text);
      return;
    }
    this.handle(text);
  }

  tooLong(): void {
    this.notice(`Line too long (max ${this.ctx.config.maxLine} bytes).`);
  }

  // --- OutboxEvents ---

  dropped(): void {
    this.ctx.counters.drops++;
    this.ctx.log.event('DROP', `Queue full for ${this.name}`, { user: this.name });
  }

  overflowed(): void {
    // Called from inside a fan-out loop: stop taking messages now, leave on the next turn.
    this.outbox.close();
    this.transport.write(textRenderer.render({ kind: 'notice', text: 'Disconnected: send queue exceeded.' }));
    setImmediate(() => this.quit('SENDQ_EXCEEDED'));
  }

  caughtUp(_outbox: Outbox, lost: number): void {
    const text = `${lost} message${lost === 1 ? ' was' : 's were'} dropped because your connection is too slow.`;
    this.outbox.pushControl(textRenderer.render({ kind: 'notice', text }));
  }

  drainTimedOut(): void {
    this.leave('DRAIN_TIMEOUT');
    this.transport.destroy('DRAIN_TIMEOUT');
  }

  // --- used by commands ---

  /** A `[SERVER] ...` line to this user: through the outbox once logged in, directly before. */
  notice(text: string): void {
    const bytes = textRenderer.render({ kind: 'notice', text });
    if (this.state === 'chat') this.outbox.pushControl(bytes);
    else if (this.state !== 'closed') this.transport.write(bytes);
  }

  /** Ends the session gracefully: flush what is queued, leave the hub, close. */
  quit(code: CloseCode): void {
    if (this.state === 'chat' && !this.outbox.closed) this.outbox.finish();
    this.leave(code);
    this.transport.end(code);
  }

  /** Holds input (reading paused) until release(); holds nest. */
  hold(): void {
    if (this.holds++ === 0) this.transport.pause();
  }

  /** Puts a line back at the front of the input and holds input (flood control's delay). */
  defer(text: string): void {
    this.held.unshift(text);
    this.hold();
  }

  release(): void {
    if (this.holds === 0 || --this.holds > 0) return;
    while (this.held.length > 0 && this.holds === 0 && this.state !== 'closed') this.handle(this.held.shift()!);
    if (this.holds === 0 && this.state !== 'closed') this.transport.resume();
  }

  // --- internals ---

  private handle(text: string): void {
    try {
      switch (this.state) {
        case 'username':
          return this.onUsername(text);
        case 'password':
          return this.onPassword(text);
        case 'chat':
          if (this.flood !== undefined && !this.flood.admit(text)) return;
          return this.onChat(text);
        default:
          return;
      }
    } catch (err: unknown) {
      this.internalError(err);
    }
  }

  private onUsername(text: string): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    const name = text.trim();
    if (name === '') {
      this.transport.write(LOGIN.usernamePrompt);
      return;
    }
    const problem = nameProblem(name);
    if (problem !== null) {
      if (++this.badNames >= MAX_BAD_NAMES) {
        this.transport.write(LOGIN.badNameFinal(problem));
        this.quit('BAD_USERNAME');
        return;
      }
      this.transport.write(LOGIN.badName(problem));
      this.transport.write(LOGIN.usernamePrompt);
      return;
    }
    this.pendingName = name;
    this.state = 'password';
    this.transport.write(LOGIN.passwordPrompt);
  }

  private onPassword(text: string): void {
    const name = this.pendingName;
    // Asked before verifying, so a throttled address gets no more guesses checked, on any connection.
    const waitMs = this.ctx.throttle.retryAfterMs(this.transport.remoteAddress);
    if (waitMs > 0) return this.refuseThrottled(name, waitMs);
    this.state = 'verifying';
    this.hold();
    this.ctx.accounts.verify(name, text.trim()).then(
      (account) => this.finishLogin(name, account),
      (err: unknown) => this.internalError(err),
    );
  }

  private finishLogin(name: string, account: Account | null): void {
    // Counted even when the connection is already gone: hanging up early must not make a guess free.
    if (account === null) this.ctx.throttle.failed(this.transport.remoteAddress);
    if (this.state !== 'verifying') return;
    const { hub, log, counters, config } = this.ctx;
    const from = `from ('${this.transport.remoteAddress}', ${this.transport.remotePort})`;
    if (account === null) {
      counters.loginFailures++;
      log.event('AUTH FAILED', `${name} ${from}`, { user: name, ip: this.transport.remoteAddress, port: this.transport.remotePort });
      this.transport.write(LOGIN.invalid);
      this.quit('AUTH_FAILED');
      return;
    }
    if (hub.get(account.name) !== undefined) {
      log.event('DUPLICATE LOGIN', account.name, { user: account.name, ip: this.transport.remoteAddress });
      this.transport.write(LOGIN.duplicate);
      this.quit('DUPLICATE_LOGIN');
      return;
    }
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
    this.name = account.name;
    this.admin = account.admin;
    this.outbox = new Outbox(this.transport, config, this, { totals: counters });
    this.outbox.delayMs = config.slow.get(this.name) ?? config.sendDelayMs;
    if (config.floodRate > 0) this.flood = new TextFloodGate(this);
    this.state = 'chat';
    if (config.idleTimeoutMs > 0) this.idleTimer = new IdleTimer(config.idleTimeoutMs, () => this.idledOut());
    this.outbox.pushControl(LOGIN.welcome(this.name));
    hub.add(this);
    counters.logins++;
    log.event('CONNECTED', `${this.name} ${from}`, { user: this.name, ip: this.transport.remoteAddress, port: this.transport.remotePort });
    this.release();
  }

  private onChat(raw: string): void {
    const text = stripControls(raw).trim();
    if (text === '') return;
    if (text.length === 4 && text.toLowerCase() === 'exit') return this.quit('CLIENT_EXIT');
    const first = text.charCodeAt(0);
    if (first === 0x2f /* / */) return runCommand(this, text);
    if (first === 0x40 /* @ */) return this.privateMessage(text);
    this.messagesIn++;
    this.ctx.counters.messagesIn++;
    this.ctx.hub.say(this, text);
    this.ctx.log.message('MESSAGE', `${this.name}: ${text}`, { user: this.name, room: this.room });
  }

  private privateMessage(text: string): void {
    const space = text.indexOf(' ');
    const target = space === -1 ? text.slice(1) : text.slice(1, space);
    const body = space === -1 ? '' : text.slice(space + 1).trim();
    if (target === '' || body === '') return this.notice('Use: @username message');
    this.messagesIn++;
    this.ctx.counters.messagesIn++;
    if (!this.ctx.hub.whisper(this, target, body)) return this.notice(`User ${target} not online.`);
    this.ctx.log.message('PRIVATE', `${this.name} -> ${target}`, { user: this.name, to: target });
  }

  /** Leaves the hub and stops all timers. Runs once. */
  private leave(code: CloseCode): void {
    if (this.state === 'closed') return;
    const wasChat = this.state === 'chat';
    this.state = 'closed';
    this.held = [];
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.idleTimer?.stop();
    this.flood?.stop();
    if (!wasChat) return;
    this.outbox.close();
    this.ctx.hub.remove(this, !this.ctx.shuttingDown);
    const reason = isOrdinaryClose(code) ? '' : ` (${code})`;
    this.ctx.log.event('DISCONNECTED', `${this.name}${reason}`, { user: this.name, reason: code });
  }

  private armLegacyDetection(): void {
    if (this.quietTimer) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      // Still an unterminated username after the quiet period: the seed's client. Frame by chunk.
      if (this.state === 'username' && this.decoder.pendingBytes > 0) {
        this.decoder.chunkFraming = true;
        this.decoder.flushPartial();
      }
    }, this.ctx.config.legacyQuietMs);
    this.quietTimer.unref();
  }

  private loginTimedOut(): void {
    this.loginTimer = undefined;
    if (this.state === 'chat' || this.state === 'closed') return;
    this.transport.write(LOGIN.timedOut);
    this.quit('LOGIN_TIMEOUT');
  }

  private refuseThrottled(name: string, waitMs: number): void {
    const { remoteAddress: ip, remotePort: port } = this.transport;
    this.ctx.log.event('AUTH THROTTLED', `${name} from ('${ip}', ${port})`, { user: name, ip, port });
    this.transport.write(LOGIN.throttled(Math.ceil(waitMs / 1000)));
    this.quit('AUTH_THROTTLED');
  }

  private idledOut(): void {
    if (this.state !== 'chat') return;
    this.notice(`Disconnected: no input for ${seconds(Math.ceil(this.ctx.config.idleTimeoutMs / 1000))}.`);
    this.quit('IDLE_TIMEOUT');
  }

  private internalError(err: unknown): void {
    const who = this.name || this.pendingName || this.transport.remoteAddress;
    this.ctx.log.error('ERROR', `while handling input from ${who}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { user: who });
    this.notice('Internal error.');
    if (this.state !== 'chat') this.quit('INTERNAL_ERROR');
  }
}
