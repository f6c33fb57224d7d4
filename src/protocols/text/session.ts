import * as actions from '../../core/actions.js';
import type { CloseCode } from '../../core/close-reasons.js';
import type { ChatContext } from '../../core/context.js';
import { DEFAULTS } from '../../core/limits.js';
import { admit, type LoginOutcome } from '../../core/login.js';
import type { ChatMember, MemberHost } from '../../core/member.js';
import { nameProblem } from '../../core/names.js';
import type { Outbox } from '../../core/outbox.js';
import { stripControls } from '../../core/sanitize.js';
import { SessionCore, type SessionHooks } from '../../core/session-core.js';
import type { Session, Transport } from '../../core/transport.js';
import { runCommand, type HelpEntry } from '../../core/commands/commands.js';
import { keepForLater, offlineText } from '../../core/history.js';
import { LineDecoder, type LineSink } from '../../core/line-decoder.js';
import { LOGIN, textRenderer } from './render.js';
import { currentRoom, echo, reply } from '../../core/commands/reply.js';

/** The text protocol's own settings (the server passes its config; tests and tools their own). */
export interface TextSettings {
  /** Longest accepted input line in bytes. */
  readonly maxLine: number;
  /** Quiet time (ms) after an unterminated username before seed-client (chunk) framing. */
  readonly legacyQuietMs: number;
  /** Connections not logged in after this many ms are closed. */
  readonly loginTimeoutMs: number;
}

type State = 'username' | 'password' | 'verifying' | 'chat' | 'closed';

/** The closing line after /quit. */
const GOODBYE = 'Goodbye.';

/** What /help adds for this protocol: the lines onChat understands besides the slash commands. */
const TEXT_HELP: readonly HelpEntry[] = [
  ['@user message', 'a private message to user'],
  ['exit', 'leave (same as /quit)'],
];

/**
 * One text-protocol connection: the login exchange, then chat lines and commands. A parser onto
 * the shared core (src/core/login.ts, actions.ts) and a renderer of its results; once logged in,
 * the ChatMember (src/core/member.ts) owns the outbox and the way out of the hub.
 *
 * Contract:
 * - Lines are handled one at a time, in order (SessionCore holds them while a password is checked
 *   or flood control waits).
 * - The state becomes 'chat' only once the member is in the hub, and 'closed' exactly once.
 * - After shutdown has begun, input is ignored and no login completes.
 * - Before login every answer goes through SessionCore.send (bounded: a client that never reads
 *   its prompts is closed SENDQ_EXCEEDED), and a refusal's last line through SessionCore.end.
 */
export class TextSession implements Session, LineSink, MemberHost, SessionHooks {
  readonly renderer = textRenderer;
  private readonly core: SessionCore;
  private state: State = 'username';
  private readonly decoder: LineDecoder;
  private pendingName = '';
  private badNames = 0;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly transport: Transport,
    readonly ctx: ChatContext,
    private readonly settings: TextSettings,
  ) {
    this.core = new SessionCore(ctx, this, settings.loginTimeoutMs);
    this.decoder = new LineDecoder(settings.maxLine, this);
    this.core.send(LOGIN.usernamePrompt);
  }

  get loggedIn(): boolean {
    return this.state === 'chat';
  }

  /** The logged-in user; undefined before login. */
  get member(): ChatMember | undefined {
    return this.core.member;
  }

  /** The member's outbox; only once logged in. */
  get outbox(): Outbox {
    return this.core.member!.outbox;
  }

  // --- Session (driven by the connection) ---

  data(chunk: Buffer): void {
    if (!this.core.accepting) return;
    this.member?.touch();
    this.decoder.push(chunk);
    if (this.state === 'username' && !this.decoder.chunkFraming && this.decoder.pendingBytes > 0) this.armLegacyDetection();
  }

  drained(): void {
    this.core.drained();
  }

  closed(code: CloseCode): void {
    this.core.connectionClosed(code);
  }

  shutdown(): void {
    this.core.shutdown(textRenderer.render({ kind: 'closing', text: 'Server shutting down.' }));
  }

  // --- MemberHost ---

  left(_code: CloseCode): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.core.closed();
    if (this.quietTimer) clearTimeout(this.quietTimer);
  }

  // --- LineSink (driven by the decoder) ---

  line(bytes: Buffer): void {
    this.core.input(bytes.toString('utf8'));
  }

  tooLong(): void {
    const notice = textRenderer.render({ kind: 'notice', text: `Line too long (max ${this.settings.maxLine} bytes).` });
    const prompt = this.state === 'username' ? LOGIN.usernamePrompt : this.state === 'password' ? LOGIN.passwordPrompt : undefined;
    this.core.send(prompt === undefined ? notice : Buffer.concat([notice, prompt]));
  }

  // --- used by tools and tests ---

  /** A `[SERVER] ...` line to this user: as a reply once logged in, within the pre-login bound before. */
  notice(text: string): void {
    this.core.send(textRenderer.render({ kind: 'notice', text }));
  }

  /** Ends the session gracefully (the user's `exit`, or a tool). */
  quit(code: CloseCode): void {
    this.core.quit(code);
  }

  // --- internals ---

  handle(text: string): void {
    if (!this.core.accepting) return;
    try {
      switch (this.state) {
        case 'username':
          return this.onUsername(text);
        case 'password':
          return this.onPassword(text);
        case 'chat':
          return this.onChat(this.member!, text);
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
      this.core.send(LOGIN.usernamePrompt);
      return;
    }
    const problem = nameProblem(name);
    if (problem !== null) {
      if (++this.badNames >= DEFAULTS.maxBadNames) return this.end('BAD_USERNAME', LOGIN.badNameFinal(problem));
      this.core.send(Buffer.concat([LOGIN.badName(problem), LOGIN.usernamePrompt]));
      return;
    }
    this.pendingName = name;
    this.state = 'password';
    this.core.send(LOGIN.passwordPrompt);
  }

  private onPassword(text: string): void {
    this.state = 'verifying';
    this.core.logIn(this.pendingName, text.trim(), () => this.state === 'verifying', (outcome) => this.loginDone(outcome), (err) => this.internalError(err));
  }

  /** Renders a login outcome; on `ok`, the user enters the hub and input flows again. */
  private loginDone(outcome: LoginOutcome): void {
    switch (outcome.kind) {
      case 'gone':
        return;
      case 'throttled':
        return this.end('AUTH_THROTTLED', LOGIN.throttled(Math.ceil(outcome.retryMs / 1000)));
      case 'invalid':
        return this.end('AUTH_FAILED', LOGIN.invalid);
      case 'duplicate':
        return this.end('DUPLICATE_LOGIN', LOGIN.duplicate);
      case 'unavailable':
        return this.end('CLUSTER_UNAVAILABLE', LOGIN.unavailable);
      case 'ok': {
        this.core.admitted(admit(this.ctx, outcome.account, this, LOGIN.welcome(outcome.account.name)));
        this.state = 'chat';
        this.core.release();
        return;
      }
    }
  }

  private onChat(m: ChatMember, raw: string): void {
    // The line is parsed sanitised, so no control character can hide a command or an `exit`.
    const text = stripControls(raw).trim();
    if (text === '') return;
    // `exit` closes without a word, as the seed's server does; `/quit` (with or without parting
    // words) says goodbye first, so an nc or telnet user sees why the connection closed.
    if (text.length === 4 && text.toLowerCase() === 'exit') return m.quit('CLIENT_EXIT');
    if (/^\/quit(\s|$)/i.test(text)) return m.quit('CLIENT_EXIT', GOODBYE);
    if (this.core.flood !== undefined && !this.core.flood.admit(raw)) return;
    const first = text.charCodeAt(0);
    if (first === 0x2f /* / */) return runCommand(m, text, { room: currentRoom(m), multiRoom: false, help: TEXT_HELP, wait: (work) => this.core.wait(work) });
    if (first === 0x40 /* @ */) return this.privateMessage(m, text);
    actions.say(m, currentRoom(m), text);
  }

  private privateMessage(m: ChatMember, text: string): void {
    const space = text.indexOf(' ');
    const target = space === -1 ? text.slice(1) : text.slice(1, space);
    const body = space === -1 ? '' : text.slice(space + 1);
    switch (actions.whisper(m, target, body)) {
      case 'empty':
        return reply(m, 'Use: @username message');
      case 'offline':
        return this.core.afterOffline(keepForLater(m, target, body), (result) => reply(m, offlineText(result, echo(target))));
      case 'sent':
        return;
    }
  }

  private end(code: CloseCode, lastWords?: Buffer): void {
    this.core.end(code, lastWords);
  }

  private armLegacyDetection(): void {
    if (this.quietTimer) return;
    this.quietTimer = setTimeout(onQuietTimer, this.settings.legacyQuietMs, this);
    this.quietTimer.unref();
  }

  /** Still an unterminated username after the quiet period: the seed's client. Frame by chunk. */
  quietElapsed(): void {
    this.quietTimer = undefined;
    if (this.state === 'username' && this.decoder.pendingBytes > 0) {
      this.decoder.chunkFraming = true;
      this.decoder.flushPartial();
    }
  }

  loginTimedOut(): void {
    this.end('LOGIN_TIMEOUT', LOGIN.timedOut);
  }

  tooFast(rate: number): void {
    this.notice(`You are sending too fast (limit ${rate} messages per second); messages are refused until you slow down.`);
  }

  private internalError(err: unknown): void {
    this.core.internalError(err, this.member?.name ?? (this.pendingName || this.transport.remoteAddress), (text) => this.notice(text));
  }
}

function onQuietTimer(s: TextSession): void {
  s.quietElapsed();
}
