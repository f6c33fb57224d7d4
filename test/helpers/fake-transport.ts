import assert from 'node:assert/strict';
import type { CloseCode } from '../../src/core/close-reasons.js';
import type { Session, Transport } from '../../src/core/transport.js';
import { waitUntil } from './wait.js';

/**
 * A Transport without a socket: records what the session writes and closes the way a Connection
 * does (the session's `closed` follows later, once). Tests wait for what a user would wait for (a
 * line, the close) with `waitFor` / `waitClosed` / `until`, never for a number of event-loop turns.
 */
export class FakeTransport<S extends Session = Session> implements Transport {
  readonly secure = false;
  /** Bytes written and not yet taken by the peer: 0, unless a test plays a client that does not read. */
  writableLength = 0;
  session!: S;
  code: CloseCode | undefined;
  /** The session has been told its connection closed (what a real socket's 'close' does). */
  sessionClosed = false;
  paused = false;
  /** When false, end() records the code but the "socket" stays open (a peer that does not read). */
  closesOnEnd = true;
  private readonly chunks: Buffer[] = [];
  private closing = false;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  write(chunk: Buffer): boolean {
    // A real Connection drops writes once it is ending; the session may still try.
    if (this.code === undefined) this.chunks.push(Buffer.from(chunk));
    return true;
  }

  end(code: CloseCode): void {
    if (this.closesOnEnd) this.close(code);
    else this.code ??= code;
  }

  destroy(code: CloseCode): void {
    this.close(code);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Everything written, as bytes. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  /** Complete lines received, without LF. */
  get lines(): string[] {
    return this.text.split('\n').slice(0, -1);
  }

  /** Resolves once the session has written `what`; fails at once if the connection closed without it. */
  async waitFor(what: string | RegExp): Promise<void> {
    const found = () => (typeof what === 'string' ? this.text.includes(what) : what.test(this.text));
    await this.until(() => found() || this.sessionClosed, () => `never got ${String(what)}; got ${JSON.stringify(this.text)}`);
    assert.ok(found(), `closed (${this.code}) before ${String(what)}; got ${JSON.stringify(this.text)}`);
  }

  /** Resolves once the session has been told that its connection closed. */
  waitClosed(): Promise<void> {
    return this.until(() => this.sessionClosed, () => `not closed; got ${JSON.stringify(this.text)}`);
  }

  /** Resolves once `cond()` holds (state kept elsewhere too: the hub's size, a log line), bounded. */
  until(cond: () => boolean, why: () => string): Promise<void> {
    return waitUntil(cond, why);
  }

  private close(code: CloseCode): void {
    if (this.closing) return;
    this.closing = true;
    this.code ??= code;
    // Like the socket's 'close': later, once.
    setImmediate(() => {
      this.sessionClosed = true;
      this.session.closed(this.code!);
    });
  }
}
