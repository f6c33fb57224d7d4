import * as actions from '../../core/actions.js';
import type { CloseCode } from '../../core/close-reasons.js';
import { runCommand, type HelpEntry } from '../../core/commands/commands.js';
import { keepForLater, newestThatFit, offlineText } from '../../core/history.js';
import type { ChatContext } from '../../core/context.js';
import { DEFAULTS } from '../../core/limits.js';
import { admit, type LoginOutcome } from '../../core/login.js';
import { seconds, type ChatMember, type MemberHost } from '../../core/member.js';
import { nameProblem } from '../../core/names.js';
import { CoreSession, SessionCore, type SessionHooks } from '../../core/session-core.js';
import type { Transport } from '../../core/transport.js';
import { closeFrame, frame, FrameDecoder, OP, type FrameSink } from './frame-codec.js';
import { HISTORY_PAGE, WS_CLOSE, WS_PROTOCOL_VERSION, type ClientMessage, type ErrorCode, type LoginRefusal, type ServerMessage } from './messages.js';
import { parseClientMessage } from './parse.js';
import { wsFrame, wsRenderer } from './render.js';

/** The WebSocket protocol's own settings. */
export interface WsSettings {
  /** Largest message a client may send (bytes). */
  readonly maxPayload: number;
  readonly loginTimeoutMs: number;
  /** Ping a silent client after this long; close it if it stays silent as long again. */
  readonly pingIntervalMs: number;
  /** Most users and rooms in one presence snapshot. */
  readonly presenceMax: number;
  /** Named in the `hello` frame. */
  readonly serverName: string;
  readonly version: string;
}

type State = 'login' | 'verifying' | 'chat' | 'closed';

/** Close codes of this server -> WebSocket close codes the page understands (messages.ts WS_CLOSE). */
const WS_CODE: Partial<Record<CloseCode, number>> = {
  CLIENT_EXIT: WS_CLOSE.normal,
  PEER_CLOSED: WS_CLOSE.normal,
  SHUTDOWN: WS_CLOSE.goingAway,
  AUTH_FAILED: WS_CLOSE.loginFailed,
  AUTH_THROTTLED: WS_CLOSE.loginFailed,
  DUPLICATE_LOGIN: WS_CLOSE.loginFailed,
  BAD_USERNAME: WS_CLOSE.loginFailed,
  KICKED: WS_CLOSE.kicked,
  SENDQ_EXCEEDED: WS_CLOSE.tooSlow,
  DRAIN_TIMEOUT: WS_CLOSE.tooSlow,
  LOGIN_TIMEOUT: WS_CLOSE.timeout,
  IDLE_TIMEOUT: WS_CLOSE.timeout,
  PING_TIMEOUT: WS_CLOSE.timeout,
  INTERNAL_ERROR: WS_CLOSE.internalError,
};

/** What a connection not logged in gets at shutdown (a logged-in member gets its own closing frame). */
/** What /help adds in the message box: the line `command` understands besides the slash commands. */
const BROWSER_HELP: readonly HelpEntry[] = [['@user message', 'a private message to user (or click their name)']];

const SHUTDOWN_FAREWELL = wsFrame({ type: 'closing', text: 'Server shutting down.' });

/**
 * One WebSocket connection speaking the browser protocol (messages.ts), after the HTTP upgrade:
 * frames in (FrameDecoder), JSON messages parsed and mapped onto the shared core (login, actions,
 * slash commands), events out as frames rendered once per broadcast (render.ts).
 *
 * Contract:
 * - Messages are handled one at a time, in order (SessionCore holds them while a login is checked
 *   or flood control waits).
 * - Garbage (binary frames, invalid JSON, unknown types) gets an `error` frame and changes nothing;
 *   a framing violation closes the connection with the RFC's close code (PROTOCOL_ERROR). Before
 *   login, the DEFAULTS.wsMaxBadMessages-th message answered with an error closes it (1008).
 * - Before login every answer goes through SessionCore.send (a client that never reads is closed
 *   with 4003, SENDQ_EXCEEDED) and a refusal through SessionCore.end; only control frames (a pong,
 *   skipped past DEFAULTS.wsPongBacklogBytes, the keepalive ping, the close frame) are written directly.
 * - Answers to the user's own requests are replies within the outbox bounds; a client over them has
 *   requests refused, never buffered without bound.
 * - A close frame (with a code the page understands) is the last thing written, once.
 */
export class WsSession implements FrameSink, MemberHost, SessionHooks {
  readonly renderer = wsRenderer;
  private readonly core: SessionCore;
  private state: State = 'login';
  private readonly decoder: FrameDecoder;
  /** What the connection drives (bytes in, drain, close, shutdown). */
  readonly connection: CoreSession;
  /** A WebSocket close code decided before the close (a protocol violation's own code). */
  private wsCode: number | undefined;
  /** Messages answered with an error before login. */
  private badMessages = 0;

  constructor(
    readonly transport: Transport,
    ctx: ChatContext,
    private readonly settings: WsSettings,
  ) {
    this.core = new SessionCore(ctx, this, settings.loginTimeoutMs, settings.pingIntervalMs);
    this.decoder = new FrameDecoder(settings.maxPayload, this);
    this.connection = new CoreSession(this.core, this.decoder, SHUTDOWN_FAREWELL);
    this.core.send(wsFrame({ type: 'hello', server: settings.serverName, version: settings.version, protocol: WS_PROTOCOL_VERSION }));
  }

  get ctx(): ChatContext {
    return this.core.ctx;
  }

  /** The logged-in user; undefined before login. */
  get member(): ChatMember | undefined {
    return this.core.member;
  }

  // --- MemberHost ---

  left(code: CloseCode): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.core.closed();
    // The closing handshake's frame; dropped by the transport if the socket is already gone.
    this.transport.write(closeFrame(this.wsCode ?? WS_CODE[code] ?? WS_CLOSE.normal));
  }

  // --- FrameSink ---

  text(message: string): void {
    this.core.input(message);
  }

  binary(): void {
    this.error('bad-message', 'Binary frames are not used; send JSON text frames.');
  }

  ping(payload: Buffer): void {
    if (this.transport.writableLength < DEFAULTS.wsPongBacklogBytes) this.transport.write(frame(OP.pong, payload));
  }

  pong(): void {
    // Any input answers a ping (SessionCore.received); a pong needs nothing more.
  }

  close(): void {
    this.quit('CLIENT_EXIT');
  }

  fail(code: number, reason: string): void {
    this.protocolError(code, reason);
    this.quit('PROTOCOL_ERROR');
  }

  // --- timers ---

  loginTimedOut(): void {
    this.refuse('timeout', 'Login timed out.', 'LOGIN_TIMEOUT');
  }

  tooFast(rate: number): void {
    this.error('too-fast', `You are sending too fast (limit ${rate} messages per second); messages are refused until you slow down.`);
  }

  sendPing(): void {
    this.transport.write(frame(OP.ping, Buffer.alloc(0)));
  }

  pingTimedOut(): void {
    this.quit('PING_TIMEOUT');
  }

  /** One keepalive check now (the timer's; tests call it). */
  keepalive(): void {
    this.core.pings?.check();
  }

  // --- internals ---

  private quit(code: CloseCode): void {
    this.core.quit(code);
  }

  /** Logs a protocol violation and keeps its close code for the close frame. */
  private protocolError(code: number, reason: string): void {
    this.wsCode = code;
    this.ctx.log.event('WS PROTOCOL ERROR', `${this.member?.name ?? this.transport.remoteAddress}: ${reason}`, { ip: this.transport.remoteAddress, code });
  }

  handle(text: string): void {
    if (!this.core.accepting) return;
    const msg = parseClientMessage(text);
    if ('error' in msg) return this.error('bad-message', msg.error);
    try {
      if (this.state === 'login') return this.login(msg);
      const m = this.member;
      if (m === undefined) return;
      if (msg.type === 'login') return this.error('already-logged-in', 'You are logged in already.');
      if (this.core.flood !== undefined && !this.core.flood.admit(text)) return;
      this.request(m, msg);
    } catch (err: unknown) {
      this.internalError(err);
    }
  }

  private login(msg: ClientMessage): void {
    if (msg.type !== 'login') return this.error('not-logged-in', 'Log in first.');
    const name = msg.user.trim();
    const problem = nameProblem(name);
    if (problem !== null) return this.refuse('bad-name', `Invalid username: ${problem}`, 'BAD_USERNAME');
    this.state = 'verifying';
    this.core.logIn(name, msg.password, () => this.state === 'verifying', (outcome) => this.loginDone(outcome), (err) => this.internalError(err));
  }

  private loginDone(outcome: LoginOutcome): void {
    switch (outcome.kind) {
      case 'gone':
        return;
      case 'throttled': {
        const s = Math.ceil(outcome.retryMs / 1000);
        return this.refuse('throttled', `Too many failed logins. Try again in ${seconds(s)}.`, 'AUTH_THROTTLED', s);
      }
      case 'invalid':
        return this.refuse('invalid', 'Invalid credentials.', 'AUTH_FAILED');
      case 'duplicate':
        return this.refuse('duplicate', 'Username already logged in.', 'DUPLICATE_LOGIN');
      case 'unavailable':
        return this.refuse('unavailable', 'The chat cluster cannot be reached right now. Try again in a few seconds.', 'CLUSTER_UNAVAILABLE');
      case 'ok': {
        const { account } = outcome;
        const welcome = wsFrame({ type: 'welcome', user: account.name, admin: account.admin, rooms: [this.ctx.hub.defaultRoom] });
        const member = admit(this.ctx, account, this, welcome);
        this.core.admitted(member);
        this.state = 'chat';
        this.presence(member);
        this.core.release();
        return;
      }
    }
  }

  /** Maps one request onto the core and answers what the user must be told. */
  private request(m: ChatMember, msg: ClientMessage): void {
    switch (msg.type) {
      case 'say':
      case 'action':
        return this.said(msg.room, msg.type === 'say' ? actions.say(m, msg.room, msg.text) : actions.act(m, msg.room, msg.text));
      case 'private':
        return this.whispered(m, msg.to, msg.text);
      case 'join':
        return this.join(m, msg.room);
      case 'part':
        return this.part(m, msg.room);
      case 'topic':
        if (!m.readyForCommand()) return;
        if (actions.setTopic(m, msg.room, msg.text) === 'not-in-room') this.error('not-in-room', `You are not in room ${msg.room.slice(0, 32)}.`);
        return;
      case 'command':
        return this.command(m, msg.room, msg.line);
      case 'history':
        return this.history(m, msg.room, msg.limit ?? HISTORY_PAGE, msg.before);
      case 'presence':
        if (m.readyForCommand()) this.presence(m);
        return;
      case 'stats':
        if (m.readyForCommand()) this.stats(m);
        return;
      case 'login':
        return;
    }
  }

  /** A line typed in the message box: `/join`, `/part`, `/me`, `@user` map to their requests, the rest to the slash commands. */
  private command(m: ChatMember, room: string, raw: string): void {
    const line = raw.trim();
    const space = line.indexOf(' ');
    const word = (space === -1 ? line : line.slice(0, space)).toLowerCase();
    const rest = space === -1 ? '' : line.slice(space + 1).trim();
    if (line.startsWith('@')) return this.whispered(m, line.slice(1, space === -1 ? undefined : space), rest);
    if (word === '/quit' || word === 'exit') return this.quit('CLIENT_EXIT');
    if (word === '/join' && rest !== '') return this.join(m, rest);
    if (word === '/part') return this.part(m, rest === '' ? room : rest);
    if (word === '/me') return this.said(room, actions.act(m, room, rest));
    if (!line.startsWith('/')) return this.said(room, actions.say(m, room, line));
    runCommand(m, line, { room, multiRoom: true, help: BROWSER_HELP, wait: (work) => this.core.wait(work) });
  }

  private said(room: string, result: actions.SayResult): void {
    if (result === 'empty') this.error('empty', 'Nothing to send.');
    else if (result === 'not-in-room') this.error('not-in-room', `You are not in room ${room.slice(0, 32)}.`);
  }

  private whispered(m: ChatMember, to: string, text: string): void {
    const result = actions.whisper(m, to, text);
    if (result === 'empty') this.error('empty', 'Use: @username message');
    else if (result === 'offline') {
      this.core.afterOffline(keepForLater(m, to, text), (kept) => {
        const said = offlineText(kept, to.slice(0, 32));
        if (kept === 'stored') this.reply(m, { type: 'notice', text: said });
        else this.error('not-online', said);
      });
    }
  }

  private join(m: ChatMember, rawRoom: string): void {
    if (!m.readyForCommand()) return;
    const result = actions.join(m, rawRoom);
    switch (result) {
      case 'invalid-name':
        return this.error('bad-room', 'Room names are 1-32 letters, digits, _ or -.');
      case 'too-many-rooms':
        return this.error('too-many-rooms', 'Too many rooms exist; join an existing one.');
      case 'too-many-joined':
        return this.error('too-many-rooms', `You are in ${m.rooms.size} rooms, the most allowed; leave one first.`);
      case 'already-in':
      case 'joined': {
        const room = rawRoom.startsWith('#') ? rawRoom.slice(1) : rawRoom;
        this.reply(m, { type: 'joined', at: this.ctx.hub.now(), user: m.name, room, how: 'join' });
        return this.presence(m);
      }
    }
  }

  private part(m: ChatMember, rawRoom: string): void {
    if (!m.readyForCommand()) return;
    const result = actions.part(m, rawRoom);
    if (result === 'invalid-name') return this.error('bad-room', 'Room names are 1-32 letters, digits, _ or -.');
    if (result === 'not-in-room') return this.error('not-in-room', `You are not in room ${rawRoom.slice(0, 32)}.`);
    const room = rawRoom.startsWith('#') ? rawRoom.slice(1) : rawRoom;
    this.reply(m, { type: 'left', at: this.ctx.hub.now(), user: m.name, room, how: 'part' });
  }

  /**
   * A page of a room's stored lines: `history: true` frames, oldest first, then `history-end`, as
   * one reply within the outbox bounds (the newest that fit; `more` then says older ones remain).
   * Input waits for the store, so the answer keeps its place among the user's requests.
   */
  private history(m: ChatMember, room: string, limit: number, before: number | undefined): void {
    if (!m.readyForCommand()) return;
    if (!m.rooms.has(room)) return this.error('not-in-room', `You are not in room ${room.slice(0, 32)}.`);
    const n = Math.min(limit, this.ctx.store.limits.history);
    this.core.wait(
      this.ctx.store.history(room, n + 1, before).then((entries) => {
        if (!m.active) return;
        // One more than asked for says whether older lines remain.
        const parts = newestThatFit(m, entries.slice(Math.max(0, entries.length - n)), wsFrame({ type: 'history-end', room, more: false }).length);
        parts.push(wsFrame({ type: 'history-end', room, more: entries.length > parts.length }));
        m.reply(Buffer.concat(parts));
      }),
    );
  }

  private presence(m: ChatMember): void {
    const max = this.settings.presenceMax;
    const users = this.ctx.hub.whoFirst(max);
    const rooms = actions.pageOf(this.ctx.hub.roomList(), 1, max);
    this.reply(m, {
      type: 'presence',
      users: users.users,
      rooms: rooms.items.map((r) => {
        const topic = this.ctx.hub.topic(r.room)?.text;
        return topic === undefined ? r : { ...r, topic };
      }),
      truncated: users.total > users.users.length || rooms.pages > 1,
    });
  }

  private stats(m: ChatMember): void {
    const s = actions.ownStats(m);
    this.reply(m, {
      type: 'stats',
      queue: s.depth,
      queueSize: s.queueSize,
      bytes: s.bytes,
      queueBytes: s.queueBytes,
      window: Number.isFinite(s.window) ? s.window : null,
      inFlight: s.inFlight,
      delayMs: s.delayMs,
      messagesIn: s.messagesIn,
      written: s.written,
      dropped: s.dropped,
    });
  }

  private reply(m: ChatMember, message: ServerMessage): void {
    m.reply(wsFrame(message));
  }

  /**
   * An `error` frame (SessionCore.send). Before login the wsMaxBadMessages-th is the last: the page
   * logs in first, so a client sending anything else is closed (1008) rather than answered on.
   */
  private error(code: ErrorCode, text: string): void {
    if (this.state === 'closed') return;
    const bytes = wsFrame({ type: 'error', code, text });
    if (this.member === undefined && ++this.badMessages >= DEFAULTS.wsMaxBadMessages) {
      this.protocolError(WS_CLOSE.policyViolation, `${this.badMessages} bad messages before login`);
      return this.core.end('PROTOCOL_ERROR', bytes);
    }
    this.core.send(bytes);
  }

  private refuse(reason: LoginRefusal, text: string, code: CloseCode, retryAfterS?: number): void {
    this.core.end(code, wsFrame(retryAfterS === undefined ? { type: 'login-failed', reason, text } : { type: 'login-failed', reason, text, retryAfterS }));
  }

  private internalError(err: unknown): void {
    this.core.internalError(err, this.member?.name ?? this.transport.remoteAddress, (text) => this.core.send(wsFrame({ type: 'notice', text })));
  }
}
