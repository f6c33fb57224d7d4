import IRC from 'irc-framework';
import type { Client, ConnectOptions, MessageEvent } from 'irc-framework';
import { TestClient } from './client.js';
import { startServer, type ServerProc } from './server.js';

/**
 * IRC clients for the integration tests: irc-framework (a real client library, as bots and
 * KiwiIRC use it) recording every line the server sent, and raw sockets (TestClient) for what a
 * library would never send.
 */
export class IrcLibClient {
  /** Every line from the server, in order. */
  readonly lines: string[] = [];
  readonly messages: MessageEvent[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly client: Client) {
    client.on('raw', (e) => {
      if (e.from_server) this.lines.push(e.line.replace(/\r?\n$/, ''));
      this.wake();
    });
    client.on('message', (e) => {
      this.messages.push(e);
      this.wake();
    });
    client.on('socket close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects and resolves once registered (001). */
  static async connect(port: number, options: Omit<ConnectOptions, 'host' | 'port'>): Promise<IrcLibClient> {
    const c = new IrcLibClient(new IRC.Client());
    c.client.connect({ host: '127.0.0.1', port, auto_reconnect: false, ...options });
    await c.waitLine(/ 001 /);
    return c;
  }

  /** Connects without waiting for registration (a login that is meant to fail). */
  static start(port: number, options: Omit<ConnectOptions, 'host' | 'port'>): IrcLibClient {
    const c = new IrcLibClient(new IRC.Client());
    c.client.connect({ host: '127.0.0.1', port, auto_reconnect: false, ...options });
    return c;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves with the first line (already received or to come) matching `re`. */
  waitLine(re: RegExp, timeoutMs = 10_000): Promise<string> {
    return this.until(() => this.lines.find((l) => re.test(l)), `a line matching ${re}`, timeoutMs);
  }

  /** Resolves with the first parsed message satisfying `pred`. */
  waitMessage(pred: (m: MessageEvent) => boolean, timeoutMs = 10_000): Promise<MessageEvent> {
    return this.until(() => this.messages.find(pred), 'a message', timeoutMs);
  }

  waitClosed(timeoutMs = 10_000): Promise<boolean> {
    return this.until(() => (this.closed ? true : undefined), 'the close', timeoutMs);
  }

  private async until<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  quit(): void {
    this.client.quit('bye');
  }
}

/** A raw IRC connection that registers with PASS (NICK = account). Resolves after the join burst's 366. */
export async function rawIrc(port: number, nick: string, password = `${nick}p`, caps: string[] = []): Promise<TestClient> {
  const c = await TestClient.connect(port);
  const capLines = caps.length > 0 ? `CAP LS 302\r\nCAP REQ :${caps.join(' ')}\r\nCAP END\r\n` : '';
  c.send(`${capLines}PASS ${password}\r\nNICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
  await c.waitFor(/ 366 \S+ #lobby :End of \/NAMES list\r\n/);
  return c;
}

/** Runs `fn` against a fresh server whose IRC listener is on a free port; stops the server whatever happens. */
export async function withIrc(args: string[], fn: (server: ServerProc, irc: number) => Promise<void>): Promise<void> {
  const server = await startServer(['--irc-port', '0', '--server-name', 'irc.test', '--notice-delay', '0', ...args]);
  try {
    const line = await server.waitForLog(/^IRC on 127\.0\.0\.1:\d+ /);
    await fn(server, Number(/:(\d+) /.exec(line)![1]));
  } finally {
    await server.stop();
  }
}

