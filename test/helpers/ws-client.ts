import { once } from 'node:events';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../../src/protocols/ws/messages.js';

/**
 * A real WebSocket client (the `ws` package) speaking the browser protocol: records every frame the
 * server sends, parsed, and waits for the ones a test expects (with a generous bound).
 */
export class WsTestClient {
  readonly frames: ServerMessage[] = [];
  closeCode: number | undefined;
  private checks = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as ServerMessage);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Opens ws://127.0.0.1:PORT/ws; `headers` e.g. an Origin. Resolves once open (or rejects with the HTTP refusal). */
  static async open(port: number, headers: Record<string, string> = {}, maxPayload?: number): Promise<WsTestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers, ...(maxPayload !== undefined ? { maxPayload } : {}) });
    const client = new WsTestClient(ws);
    await Promise.race([
      once(ws, 'open'),
      once(ws, 'unexpected-response').then(([, res]) => {
        throw new Error(`HTTP ${(res as { statusCode: number }).statusCode}`);
      }),
      once(ws, 'error').then(([err]) => {
        throw err;
      }),
    ]);
    return client;
  }

  /** Opens and logs in; resolves after the welcome and the first presence snapshot. */
  static async login(port: number, user: string, password = `${user}p`): Promise<WsTestClient> {
    const c = await WsTestClient.open(port);
    c.send({ type: 'login', user, password });
    await c.waitFor((f) => f.type === 'presence');
    return c;
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Resolves with the first frame (from index `from`) matching `match`. */
  async waitFor<T extends ServerMessage>(match: (f: ServerMessage) => f is T, timeoutMs?: number, from?: number): Promise<T>;
  async waitFor(match: (f: ServerMessage) => boolean, timeoutMs?: number, from?: number): Promise<ServerMessage>;
  async waitFor(match: (f: ServerMessage) => boolean, timeoutMs = 15_000, from = 0): Promise<ServerMessage> {
    let found: ServerMessage | undefined;
    await this.until(() => (found = this.frames.slice(from).find(match)) !== undefined, () => `no matching frame; got ${JSON.stringify(this.frames)}`, timeoutMs);
    return found!;
  }

  /** Resolves with the close code once the server has closed the connection. */
  async waitClosed(timeoutMs = 15_000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, () => `not closed; got ${JSON.stringify(this.frames)}`, timeoutMs);
    return this.closeCode!;
  }

  close(): void {
    this.ws.close();
  }

  /** Resolves once `cond()` holds, checked on every frame and the close. */
  until(cond: () => boolean, why: () => string = () => `condition never held; got ${JSON.stringify(this.frames)}`, timeoutMs = 15_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        this.checks.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(why()));
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  private wake(): void {
    for (const check of [...this.checks]) check();
  }
}
