// The socket and its reconnect state machine. One Link per page: start() logs in with the
// credentials (kept in this object's memory only), and after the first welcome every lost
// connection is retried with exponential backoff and jitter, logging in again by itself.
//
//   idle --start--> connecting --welcome--> online --close--> waiting --timer--> connecting ...
//   connecting --refused (first login, or invalid/bad-name later)--> idle (login form)
//   any --kicked / timeout close / stop()--> idle
import { WS_CLOSE, WS_PROTOCOL_VERSION } from '../protocols/ws/messages.js';
import type { ClientMessage, LoginRefusal, ServerMessage } from '../protocols/ws/messages.js';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

type Welcome = Extract<ServerMessage, { type: 'welcome' }>;

export interface LinkEvents {
  /** Logged in; `first`: the first login with these credentials (not a reconnect). */
  online(welcome: Welcome, first: boolean): void;
  /** Every frame after the welcome. */
  frame(msg: ServerMessage): void;
  /** Login refused for good (or the server never answered a first login): back to the form. */
  refused(reason: LoginRefusal | 'unreachable', retryAfterS?: number): void;
  /** The connection is gone; the next attempt starts at `at` (Date.now() ms). `why`: the server's last words, if any. */
  waiting(at: number, why: string, duplicate: boolean): void;
  /** Gone for good: kicked, closed for inactivity, or a page older than the server. */
  ended(why: 'kicked' | 'timeout' | 'outdated', text: string): void;
}

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/** 1 s doubling to 30 s, each ±50 %, so a server restart is not met by every page at once. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}

function parse(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const msg: unknown = JSON.parse(data);
    // The server is trusted to send its own protocol; a frame without a type is ignored.
    return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' ? (msg as ServerMessage) : null;
  } catch {
    return null;
  }
}

export class Link {
  private ws: WebSocket | null = null;
  private creds: Credentials | null = null;
  /** These credentials were accepted once, so a later failure is worth retrying. */
  private accepted = false;
  private isOnline = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refusal: Extract<ServerMessage, { type: 'login-failed' }> | null = null;
  private lastWords = '';

  constructor(
    private readonly url: string,
    private readonly on: LinkEvents,
  ) {}

  get online(): boolean {
    return this.isOnline;
  }

  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** Whether a retry is possible without asking for the password again. */
  get hasCredentials(): boolean {
    return this.creds !== null;
  }

  start(creds: Credentials): void {
    this.stop();
    this.creds = creds;
    this.accepted = false;
    this.attempt = 0;
    this.open();
  }

  /** Log out: close, forget the password, and do not come back. */
  stop(): void {
    this.creds = null;
    this.cancel();
    const ws = this.ws;
    this.ws = null;
    this.isOnline = false;
    ws?.close(WS_CLOSE.normal);
  }

  /** Skip the rest of the wait (a click on "Reconnect now", the browser going online). */
  retryNow(): void {
    if (!this.creds || this.ws) return;
    this.cancel();
    this.open();
  }

  send(msg: ClientMessage): boolean {
    if (!this.ws || !this.isOnline || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private open(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.refusal = null;
    this.lastWords = '';
    ws.addEventListener('message', (e) => this.received(ws, e.data));
    ws.addEventListener('close', (e) => this.closed(ws, e.code));
  }

  private received(ws: WebSocket, data: unknown): void {
    if (ws !== this.ws) return;
    const msg = parse(data);
    if (!msg) return;
    switch (msg.type) {
      case 'hello':
        if (msg.protocol !== WS_PROTOCOL_VERSION) {
          this.stop();
          this.on.ended('outdated', `The server speaks a newer version (${msg.version}). Reload the page.`);
          return;
        }
        if (this.creds) ws.send(JSON.stringify({ type: 'login', user: this.creds.user, password: this.creds.password } satisfies ClientMessage));
        return;
      case 'welcome': {
        const first = !this.accepted;
        this.accepted = true;
        this.isOnline = true;
        this.attempt = 0;
        this.on.online(msg, first);
        return;
      }
      case 'login-failed':
        this.refusal = msg;
        return;
      case 'closing':
        this.lastWords = msg.text;
        break;
      default:
        break;
    }
    this.on.frame(msg);
  }

  private closed(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.isOnline = false;
    const refusal = this.refusal;
    if (code === WS_CLOSE.kicked) {
      this.creds = null;
      this.on.ended('kicked', this.lastWords);
      return;
    }
    if (refusal) {
      // After a reconnect the old session may linger (duplicate) or the address be throttled for a
      // while: both pass. A wrong password or name will not, so the user is asked again.
      const passes = refusal.reason === 'duplicate' || refusal.reason === 'throttled' || refusal.reason === 'timeout' || refusal.reason === 'unavailable';
      if (!this.accepted || !passes) {
        this.creds = null;
        this.on.refused(refusal.reason, refusal.retryAfterS);
        return;
      }
      const wait = refusal.retryAfterS !== undefined ? refusal.retryAfterS * 1000 : backoffMs(this.attempt);
      this.schedule(wait, refusal.text, refusal.reason === 'duplicate');
      return;
    }
    if (!this.accepted) {
      this.creds = null;
      this.on.refused('unreachable');
      return;
    }
    if (code === WS_CLOSE.timeout) {
      // Closed for inactivity on purpose: coming back by itself would defeat --idle-timeout.
      this.on.ended('timeout', this.lastWords || 'Disconnected after a period of inactivity.');
      return;
    }
    this.schedule(backoffMs(this.attempt), this.lastWords, false);
  }

  private schedule(ms: number, why: string, duplicate: boolean): void {
    this.attempt += 1;
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, ms);
    this.on.waiting(Date.now() + ms, why, duplicate);
  }
}
