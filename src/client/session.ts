import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { ServerTextSplitter, type PromptField } from './server-text.js';
import { stripControls } from '../core/sanitize.js';

export type { PromptField } from './server-text.js';

/**
 * What a session reports to its user interface. Every text in an event is already sanitised
 * (sanitize.ts), so a UI may print it as it is.
 */
export type SessionEvent =
  /** A line that is not part of the login handshake (chat, notices, and lines during login). */
  | { readonly type: 'line'; readonly text: string }
  /** Login succeeded; `text` is the welcome line. Chat input may start. */
  | { readonly type: 'welcome'; readonly text: string }
  /** The server refused the login; `text` is its reason. The connection is already being closed. */
  | { readonly type: 'refused'; readonly text: string }
  /** The connection is gone. `byUs`: we asked to leave (or the user typed exit / /quit). */
  | { readonly type: 'closed'; readonly byUs: boolean };

export interface SessionHooks {
  /**
   * Answers a login prompt the options did not answer. Resolve null when the user gives up: the
   * session then leaves, which reports `closed` with `byUs` true.
   */
  ask(field: PromptField, prompt: string): Promise<string | null>;
  onEvent(event: SessionEvent): void;
}

export interface Credentials {
  readonly user?: string;
  readonly password?: string;
}

/** Lines (trimmed) with which the user ends the session (docs/PROTOCOL.md); the server then closes. */
export const LEAVE_LINE = /^(exit|\/quit)$/i;
/** How long `leave` waits for the server to close before closing itself. */
export const LEAVE_WAIT_MS = 500;

/**
 * One connection to the server, from login to close. Answers each login prompt only once it has
 * arrived (the seed's Python server reads each recv() as one message, so never both answers at
 * once), one line each, LF-terminated.
 */
export class Session {
  private state: 'login' | 'chat' | 'closed' = 'login';
  private leaving = false;
  private readonly splitter = new ServerTextSplitter();
  private readonly decoder = new StringDecoder('utf8');
  private readonly closedPromise: Promise<void>;

  constructor(private readonly socket: Socket, private readonly credentials: Credentials, private readonly hooks: SessionHooks) {
    socket.on('data', (data: Buffer) => this.receive(this.decoder.write(data)));
    // An error is always followed by 'close', which is where the session ends.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.receive(this.decoder.end(), true);
      this.state = 'closed';
      resolve();
      hooks.onEvent({ type: 'closed', byUs: this.leaving });
    }));
  }

  get loggedIn(): boolean {
    return this.state === 'chat';
  }

  /** Sends one chat line. `text` must not contain a line break. Lines after close are dropped. */
  send(text: string): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    if (LEAVE_LINE.test(text.trim())) this.leaving = true;
    this.socket.write(`${text}\n`);
  }

  /**
   * Leaves: sends `exit` (when logged in), half-closes, and resolves once the server has closed or
   * LEAVE_WAIT_MS has passed, whichever is first; lines arriving meanwhile are still reported.
   */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    this.leaving = true;
    if (this.state === 'chat') this.socket.write('exit\n');
    this.socket.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closedPromise, new Promise<void>((resolve) => { timer = setTimeout(resolve, LEAVE_WAIT_MS); })]);
    clearTimeout(timer);
    this.socket.destroy();
    await this.closedPromise;
  }

  private receive(text: string, atEnd = false): void {
    const parts = this.splitter.push(text, this.state === 'login');
    if (atEnd) parts.push(...this.splitter.end());
    for (const part of parts) {
      const clean = stripControls(part.text);
      if (part.type === 'prompt') void this.answer(part.field, clean);
      else this.onLine(clean);
    }
  }

  private onLine(text: string): void {
    if (this.state !== 'login') {
      this.hooks.onEvent({ type: 'line', text });
    } else if (text.startsWith('Welcome ')) {
      this.state = 'chat';
      this.hooks.onEvent({ type: 'welcome', text });
    } else if (text.endsWith('Connection closed.')) {
      this.hooks.onEvent({ type: 'refused', text });
      this.socket.destroy();
    } else {
      this.hooks.onEvent({ type: 'line', text });
    }
  }

  private async answer(field: PromptField, prompt: string): Promise<void> {
    const known = field === 'username' ? this.credentials.user : this.credentials.password;
    const value = known ?? await this.hooks.ask(field, prompt);
    if (value === null) {
      await this.leave();
      return;
    }
    if (this.state === 'login' && !this.socket.destroyed) this.socket.write(`${value}\n`);
  }
}
