import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { WAIT_MS } from './wait.js';

/**
 * A raw test client on a real socket: records every byte the server sends and can wait for text.
 * Asserts on what a user would see: the exact bytes on the wire.
 */
export class TestClient {
  readonly socket: Socket;
  /** Everything received so far, decoded as UTF-8. */
  text = '';
  closed = false;
  private waiters: Array<() => void> = [];
  readonly ended: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.text += d;
      this.wake();
    });
    socket.on('error', () => {});
    this.ended = new Promise((resolve) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
  }

  /** `localAddress` picks the source address, e.g. 127.0.0.2 for per-address limits (Linux). */
  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<TestClient> {
    const socket = connect({ port, host, localAddress });
    await once(socket, 'connect');
    return new TestClient(socket);
  }

  /** Wraps an already connected socket, e.g. a TLSSocket after 'secureConnect'. */
  static wrap(socket: Socket): TestClient {
    return new TestClient(socket);
  }

  /** Connects and logs in with newline-terminated answers; resolves after the welcome line. */
  static async login(port: number, user: string, password = `${user}p`): Promise<TestClient> {
    return (await TestClient.connect(port)).logIn(user, password);
  }

  /** Answers the login prompts on this connection (plain or TLS); resolves after the welcome line. */
  async logIn(user: string, password = `${user}p`): Promise<this> {
    await this.waitFor('Enter username: ');
    this.send(`${user}\n`);
    await this.waitFor('Enter password: ');
    this.send(`${password}\n`);
    await this.waitFor(`Welcome ${user}! Type 'exit' to leave.\n`);
    return this;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Complete lines received so far (without their LF). */
  get lines(): string[] {
    const parts = this.text.split('\n');
    parts.pop();
    return parts;
  }

  /**
   * Resolves when the received text (from `from`, default 0) contains `what`; returns the index just
   * past the match so callers can wait for what comes next.
   */
  async waitFor(what: string | RegExp, timeoutMs = WAIT_MS, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hay = this.text.slice(from);
      if (typeof what === 'string') {
        const i = hay.indexOf(what);
        if (i >= 0) return from + i + what.length;
      } else {
        const m = what.exec(hay);
        if (m) return from + m.index + m[0].length;
      }
      if (this.closed) throw new Error(`connection closed before ${String(what)}; got:\n${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(what)}; got:\n${this.text}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Resolves when the server closes the connection. */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.ended,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`not closed; got:\n${this.text}`)), timeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    this.socket.end();
  }

  /**
   * Logs out (`exit`) and resolves once the server has closed the connection. The server leaves the
   * hub before it closes, so the name is free again: a later login with it cannot be refused as a
   * duplicate, as it can right after destroy() or close(), whose end the server sees only later.
   */
  async exit(): Promise<void> {
    if (this.closed) return;
    this.send('exit\n');
    await this.waitClosed();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** exit() for each client in turn: the usual end of a test that shares its server with later tests. */
export async function leave(...clients: TestClient[]): Promise<void> {
  for (const c of clients) await c.exit();
}
