import type { CloseCode } from '../../core/close-reasons.js';
import type { ChatContext } from '../../core/context.js';
import { LineDecoder, type LineSink } from '../../core/line-decoder.js';
import { admit, type LoginOutcome, type PasswordOutcome } from '../../core/login.js';
import { seconds, type ChatMember, type MemberHost } from '../../core/member.js';
import { CoreSession, SessionCore, type SessionHooks } from '../../core/session-core.js';
import type { Transport } from '../../core/transport.js';
import type { Cap } from './caps.js';
import { parseMessage, splitLength } from './codec.js';
import { dispatch } from './commands.js';
import { BARE_LAST, safeParam } from './params.js';
import type { IrcRenderer, IrcRenderers } from './render.js';
import { joinReply, welcome } from './queries.js';
import { RegistrationState, type RegistrationStateName } from './registration-state.js';

/** The IRC protocol's own settings, filled by src/server/server.ts. */
export interface IrcSettings {
  /** Every server line starts with `:serverName`. */
  readonly serverName: string;
  /** NETWORK= in 005, and 001's greeting. */
  readonly network: string;
  readonly version: string;
  /** 003's creation date. */
  readonly createdAt: string;
  readonly loginTimeoutMs: number;
  /** Ping a silent client after this long; close it if it stays silent as long again. */
  readonly pingIntervalMs: number;
  readonly maxRoomsPerUser: number;
  /** The renderer variants (server-time, away-notify), shared by every IRC session. */
  readonly renderers: IrcRenderers;
}

/** Longest line without tags (CRLF excluded) and longest tag part, modern.ircdocs.horse / IRCv3. */
const MAX_REST = 510;
const MAX_TAGS = 8191;

/** What a connection not yet registered gets at shutdown (a member gets its own ERROR). */
const SHUTDOWN_FAREWELL = Buffer.from('ERROR :Closing link: Server shutting down.\r\n');

/**
 * One IRC client connection: registration (CAP, NICK, USER, PASS, SASL PLAIN), then commands mapped
 * onto the shared core (src/core/actions.ts) through one command table (commands.ts), events out
 * through the IRC renderer. Login, throttling, the duplicate rule, flood control and the outbox are
 * the core's, as for every protocol.
 *
 * Contract:
 * - Lines are handled one at a time, in order (SessionCore holds them while a password is checked
 *   or flood control waits). A line over the length limits gets 417 and is skipped; no line is
 *   buffered beyond MAX_TAGS + MAX_REST bytes.
 * - Registration completes only when NICK and USER are in and CAP negotiation (if begun) has ended:
 *   what registering collects, and which state the connection is in, is `registration` alone.
 * - The answer to one command is one buffer, sent through SessionCore.send: before registration
 *   within its pre-login bound (a client that never reads is closed with `SendQ exceeded`), a reply
 *   within the outbox bounds after.
 * - Nothing a client sends makes this throw into the connection: a bug is an internal error (logged,
 *   the user told), bad input is a numeric.
 */
export class IrcSession implements LineSink, MemberHost, SessionHooks {
  readonly core: SessionCore;
  /** What the connection drives (bytes in, drain, close, shutdown). */
  readonly connection: CoreSession;
  readonly registration = new RegistrationState();
  readonly caps = new Set<Cap>();
  private readonly decoder: LineDecoder;
  private out: string[] = [];

  constructor(
    readonly transport: Transport,
    readonly ctx: ChatContext,
    readonly settings: IrcSettings,
  ) {
    this.core = new SessionCore(ctx, this, settings.loginTimeoutMs, settings.pingIntervalMs);
    this.decoder = new LineDecoder(MAX_TAGS + MAX_REST, this);
    this.connection = new CoreSession(this.core, this.decoder, SHUTDOWN_FAREWELL);
  }

  /** The renderer for this client's capabilities; fixed once registered (the member keeps it). */
  get renderer(): IrcRenderer {
    return this.settings.renderers.for(this.caps.has('server-time'), this.caps.has('away-notify'));
  }

  get member(): ChatMember | undefined {
    return this.core.member;
  }

  /** registering -> verifying -> chat, or closed: the registration state's name. */
  get state(): RegistrationStateName {
    return this.registration.state;
  }

  /** The nick as numerics address the client: `*` until one is given. */
  get target(): string {
    return this.registration.nick ?? '*';
  }

  // --- MemberHost ---

  left(_code: CloseCode): void {
    if (this.state === 'closed') return;
    this.registration.closed();
    this.core.closed();
  }

  // --- LineSink ---

  line(bytes: Buffer): void {
    const { tagBytes, restBytes } = splitLength(bytes);
    if (tagBytes > MAX_TAGS || restBytes > MAX_REST) return this.tooLong();
    if (bytes.length === 0) return;
    this.core.input(bytes.toString('utf8'));
  }

  tooLong(): void {
    this.num('417', 'Input line was too long');
    this.flush();
  }

  // --- SessionHooks ---

  handle(text: string): void {
    if (!this.core.accepting) return;
    try {
      const msg = parseMessage(text);
      if (msg !== undefined) dispatch(this, msg, text);
    } catch (err: unknown) {
      this.out = [];
      this.core.internalError(err, this.member?.name ?? this.transport.remoteAddress, (t) => {
        this.notice(t);
        this.flush();
      });
    }
    this.flush();
  }

  loginTimedOut(): void {
    this.close('Registration timed out', 'LOGIN_TIMEOUT');
  }

  tooFast(rate: number): void {
    this.notice(`You are sending too fast (limit ${rate} commands per second); commands are refused until you slow down.`);
    this.flush();
  }

  // --- output, used by the command handlers ---

  /** Queues `:server CODE nick params...` for this command's answer. */
  num(code: string, ...params: string[]): void {
    this.out.push(this.renderer.line(undefined, this.settings.serverName, code, [this.target, ...params.map(safeParam)], !BARE_LAST.has(code)));
  }

  /** Queues a complete line (with its CRLF). */
  raw(line: string): void {
    this.out.push(line);
  }

  notice(text: string): void {
    this.out.push(this.renderer.line(undefined, this.settings.serverName, 'NOTICE', [this.target, text]));
  }

  /** Takes what is queued as one buffer, sending nothing (the welcome, which admit queues itself). */
  take(): Buffer {
    const bytes = Buffer.from(this.out.join(''), 'utf8');
    this.out = [];
    return bytes;
  }

  /** Sends what this command queued as one buffer (SessionCore.send: bounded before registration, a reply after). */
  flush(): void {
    if (this.out.length === 0) return;
    this.core.send(this.take());
  }

  /** `ERROR :Closing link: why` and the connection ends (not registered) or the member quits. */
  close(why: string, code: CloseCode): void {
    if (this.member !== undefined) return this.member.quit(code, why);
    this.flush();
    if (this.state === 'closed') return;
    this.core.end(code, closingLink(why));
  }

  sendqFarewell(): Buffer {
    return closingLink('SendQ exceeded');
  }

  // --- registration ---

  /** Logs in when the registration state says it can (NICK and USER in, CAP negotiation over). */
  tryRegister(): void {
    const login = this.registration.begin();
    if (login === undefined) return;
    const alive = (): boolean => this.state === 'verifying';
    this.flush();
    if (login.kind === 'sasl') {
      const { account } = login;
      return this.core.claim(account, alive, (o) => this.loginDone(o, account.name), (e) => this.failed(e));
    }
    const { name, password } = login;
    this.core.logIn(name, password, alive, (o) => this.loginDone(o, name), (e) => this.failed(e));
  }

  /** The SASL PLAIN credentials decoded: checked now (903/904), claimed at registration. */
  saslCheck(name: string, password: string): void {
    this.core.checkPassword(name, password, () => this.state === 'registering', (o) => this.saslDone(o), (e) => this.failed(e));
  }

  private saslDone(outcome: PasswordOutcome): void {
    if (outcome.kind === 'gone') return;
    if (outcome.kind === 'ok') {
      const name = outcome.account.name;
      this.registration.saslAccepted(outcome.account);
      this.num('900', `${name}!${name}@${this.settings.serverName}`, name, `You are now logged in as ${name}`);
      this.num('903', 'SASL authentication successful');
    } else {
      this.num('904', outcome.kind === 'throttled' ? `SASL authentication failed: too many failed logins, try again in ${seconds(Math.ceil(outcome.retryMs / 1000))}` : 'SASL authentication failed');
    }
    this.flush();
    this.core.release();
  }

  /** `name`: the account logging in (the nick in use, for 433). */
  private loginDone(outcome: LoginOutcome, name: string): void {
    switch (outcome.kind) {
      case 'gone':
        return;
      case 'throttled':
        this.num('464', 'Password incorrect');
        return this.close(`Too many failed logins. Try again in ${seconds(Math.ceil(outcome.retryMs / 1000))}.`, 'AUTH_THROTTLED');
      case 'invalid':
        this.num('464', 'Password incorrect');
        return this.close('Invalid credentials', 'AUTH_FAILED');
      case 'duplicate':
        this.num('433', name, 'Nickname is already in use');
        return this.close('Nickname is already in use', 'DUPLICATE_LOGIN');
      case 'unavailable':
        return this.close('The chat cluster cannot be reached right now. Try again in a few seconds.', 'CLUSTER_UNAVAILABLE');
      case 'ok': {
        // The nick is the account name, whatever NICK said (PASS account:password, SASL).
        this.registration.admitted(outcome.account.name);
        const member = admit(this.ctx, outcome.account, this, welcome(this));
        this.core.admitted(member);
        joinReply(this, member, this.ctx.hub.defaultRoom);
        this.flush();
        this.core.release();
        return;
      }
    }
  }

  private failed(err: unknown): void {
    this.core.internalError(err, this.registration.nick ?? this.transport.remoteAddress, (t) => {
      this.notice(t);
      this.flush();
    });
  }

  // --- keepalive (SessionCore's PingTimer) ---

  sendPing(): void {
    this.raw(`PING :${this.settings.serverName}\r\n`);
    this.flush();
  }

  pingTimedOut(): void {
    this.close(`Ping timeout: ${seconds(Math.round(this.settings.pingIntervalMs / 1000))}`, 'PING_TIMEOUT');
  }
}

/** IRC's last words to a connection not registered. */
function closingLink(why: string): Buffer {
  return Buffer.from(`ERROR :Closing link: ${why}\r\n`);
}
