import type { CloseCode } from '../../src/core/close-reasons.js';
import type { Session, Transport } from '../../src/core/transport.js';

/**
 * A Transport without a socket: records what the session writes and closes the way a Connection
 * does (the session's `closed` follows later, once). Tests wait for what a user would wait for (a
 * line, the close) with `waitFor` / `waitClosed`, never for a number of event-loop turns.
 */
export class FakeTransport implements Transport {
  readonly secure = false;
  readonly writableLength = 0;
  session!: Session;
  code: CloseCode | undefined;
  paused = false;
  /** When false, end() records the code but the "socket" stays open (a peer that does not read). */
  closesOnEnd = true;
  private readonly chunks: Buffer[] = [];
  private readonly checks = new Set<() => void>();
  private closing = false;
  private closedCalled = false;

  constructor(
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  write(chunk: Buffer): boolean {
    // A real Connection drops writes once it is ending; the session may still try.
    if (this.code === undefined) {
      this.chunks.push(Buffer.from(chunk));
      this.wake();
    }
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

  /** Resolves once the received text contains `what` (or matches it). */
  waitFor(what: string | RegExp, timeoutMs = 15_000): Promise<void> {
    const found = () => (typeof what === 'string' ? this.text.includes(what) : what.test(this.text));
    return this.until(found, () => `never received ${String(what)}; got:\n${this.text}`, timeoutMs);
  }

  /** Resolves once the session has been told the connection closed. */
  waitClosed(timeoutMs = 15_000): Promise<void> {
    return this.until(() => this.closedCalled, () => `not closed; got:\n${this.text}`, timeoutMs);
  }

  /**
   * Resolves once `cond()` holds: checked on every write and close, and every 10 ms for state kept
   * elsewhere (the hub's size, a log line). Rejects with `why()` after `timeoutMs`.
   */
  until(cond: () => boolean, why: () => string, timeoutMs = 15_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.checks.delete(check);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const check = (): void => {
        if (!cond()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(why()));
      }, timeoutMs);
      const poll = setInterval(check, 10);
      this.checks.add(check);
    });
  }

  private close(code: CloseCode): void {
    if (this.code !== undefined && this.closing) return;
    this.code ??= code;
    this.closing = true;
    // Like the socket's 'close': later, once.
    setImmediate(() => {
      this.closedCalled = true;
      this.session.closed(this.code!);
      this.wake();
    });
  }

  private wake(): void {
    for (const check of [...this.checks]) check();
  }
}
