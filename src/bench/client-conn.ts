import { connect, type Socket } from 'node:net';
import { nowMicros } from './clock.js';
import { LineReader } from './line-reader.js';
import { RespReader, encodeCommand } from './resp.js';
import { parsePayload, parseWsMessagePayload, payloadStartInChatLine, type PayloadFields } from './payload.js';
import { WsLink } from './ws-link.js';
import { IrcLink } from './irc-link.js';
import type { WorkerConfig } from './worker-protocol.js';

/**
 * One simulated user on a real socket: logs in (text prompts, Redis HELLO 3 + SUBSCRIBE, a
 * WebSocket upgrade and a JSON `login` frame, or IRC registration and a JOIN), then
 * feeds every received byte to a sink without building strings. All connections of a process share
 * one read buffer (reads are handled synchronously, one socket at a time).
 */

/** Receives each bench payload and counts every other line. Implemented once per process. */
export interface Sink {
  payload(f: PayloadFields): void;
  line(): void;
}

const SHARED_READ = Buffer.allocUnsafe(256 * 1024);
const fields: PayloadFields = { phase: 0, sender: 0, seq: 0, micros: 0, recvMicros: 0 };

const enum Step { WaitUser, WaitPass, WaitWelcome, Ready, Closed }

const BULK_SUBSCRIBE = Buffer.from('subscribe');

export function fillPattern(pattern: string, i: number): string {
  return pattern.split('{i}').join(String(i));
}

export class ClientConn {
  readonly socket: Socket;
  private step = Step.WaitUser;
  private loginText = '';
  private readonly lines: LineReader | null;
  private readonly resp: RespReader | null;
  private readonly ws: WsLink | null;
  private readonly irc: IrcLink | null;
  /** The start of every `say` frame (its room fixed at login), so a send builds one string. */
  private sayPrefix = '';
  /** Resolves true at the welcome (or SUBSCRIBE confirmation), false on refusal, close or timeout. */
  readonly loggedIn: Promise<boolean>;
  readonly connected: Promise<boolean>;
  readonly closed: Promise<void>;
  failure = '';
  isClosed = false;
  /** Set when a logged-in connection closes: why (the socket error, or the server's FIN). */
  closedAfterLogin: string | null = null;
  private settle: (ok: boolean) => void = () => {};

  constructor(
    readonly id: number,
    private readonly cfg: WorkerConfig,
    private readonly sink: Sink,
    private readonly room: string | null,
  ) {
    const redis = cfg.proto === 'redis';
    this.lines = cfg.proto === 'text' ? new LineReader((b, s, e) => this.onLine(b, s, e)) : null;
    this.resp = redis ? new RespReader({
      bulk: (b, s, e) => this.onBulk(b, s, e),
      line: (t, b, s, e) => { if (t === 0x2d) this.fail(`redis: ${b.toString('latin1', s, e)}`); },
      aggregate: () => {},
    }) : null;
    const at = cfg.endpoints[id % cfg.endpoints.length]!;
    this.socket = connect({
      host: at.host,
      port: at.port,
      noDelay: true,
      onread: { buffer: SHARED_READ, callback: (n: number, buf: Uint8Array) => { this.onRead(n, buf as Buffer); return true; } },
    });
    this.ws = cfg.proto === 'ws' ? new WsLink(this.socket, at.host, at.port, cfg.wsPath, {
      opened: () => this.socket.write(this.ws!.frame({ type: 'login', user: fillPattern(cfg.userPattern, id + 1), password: fillPattern(cfg.passPattern, id + 1) })),
      text: (b, s, e) => this.onWsText(b, s, e),
      other: () => this.sink.line(),
      failed: (why) => {
        // After login fail() keeps the connection; a framing violation must still end it.
        if (this.step === Step.Ready && this.failure === '') this.failure = why;
        if (this.step === Step.Ready) this.destroy();
        else this.fail(why);
      },
    }) : null;
    this.irc = cfg.proto === 'irc' ? new IrcLink(this.socket, {
      nick: fillPattern(cfg.userPattern, id + 1),
      password: cfg.ircPass ? fillPattern(cfg.passPattern, id + 1) : null,
      channel: `#${room ?? cfg.channel}`,
    }, {
      ready: () => { this.step = Step.Ready; this.settle(true); },
      message: (b, s, e) => { if (parsePayload(b, s, e, fields)) this.sink.payload(fields); else this.sink.line(); },
      other: () => this.sink.line(),
      failed: (why) => this.fail(why),
    }) : null;
    if (this.ws !== null || this.irc !== null) this.step = Step.WaitWelcome;
    this.connected = new Promise((resolve) => {
      this.socket.once('connect', () => resolve(true));
      this.socket.once('close', () => resolve(false));
    });
    this.loggedIn = new Promise((resolve) => { this.settle = resolve; });
    const timer = setTimeout(() => this.fail('login timed out'), cfg.loginTimeoutMs);
    void this.loggedIn.then(() => clearTimeout(timer));
    this.socket.on('error', (e) => { if (this.failure === '') this.failure = e.message; });
    this.closed = new Promise((resolve) => this.socket.once('close', () => {
      if (this.step === Step.Ready) this.closedAfterLogin = this.failure || 'closed by the server';
      this.isClosed = true;
      this.step = Step.Closed;
      this.fail(this.failure || 'connection closed during login');
      resolve();
    }));
    if (redis) {
      this.socket.once('connect', () => {
        this.socket.write(Buffer.concat([encodeCommand(['HELLO', '3']), encodeCommand(['SUBSCRIBE', room ?? cfg.channel])]));
      });
    }
  }

  get ready(): boolean {
    return this.step === Step.Ready;
  }

  /** A chat line (text), a PUBLISH to the room's channel (Redis), a `say` (ws) or a PRIVMSG (IRC), payload without line end. */
  sendPayload(payload: string): void {
    if (this.step !== Step.Ready) return;
    if (this.resp !== null) this.socket.write(encodeCommand(['PUBLISH', this.room ?? this.cfg.channel, payload]));
    else if (this.ws !== null) this.ws.send(`${this.sayPrefix}${payload}"}`);
    else if (this.irc !== null) this.irc.send(payload);
    else this.socket.write(`${payload}\n`);
  }

  /** Ends the session the polite way (`exit` / QUIT / a close frame); the server then closes the connection. */
  leave(): void {
    if (this.isClosed) return;
    if (this.ws !== null) this.ws.close();
    else if (this.irc !== null) this.irc.quit();
    else this.socket.write(this.resp !== null ? encodeCommand(['QUIT']) : 'exit\n');
  }

  /** Closes with RST so no TIME_WAIT is left behind after tens of thousands of connections. */
  destroy(): void {
    if (this.isClosed) return;
    if (this.socket.connecting || this.socket.destroyed) this.socket.destroy();
    else this.socket.resetAndDestroy();
  }

  private fail(reason: string): void {
    if (this.step === Step.Ready && !this.isClosed) return;
    if (this.failure === '') this.failure = reason;
    this.settle(false);
    if (!this.isClosed) this.destroy();
  }

  private onRead(n: number, buf: Buffer): void {
    fields.recvMicros = nowMicros();
    if (this.ws !== null) {
      this.ws.feed(buf, 0, n);
      return;
    }
    if (this.irc !== null) {
      this.irc.feed(buf, 0, n);
      return;
    }
    if (this.step === Step.Ready) {
      if (this.lines !== null) this.lines.feed(buf, 0, n);
      else this.resp!.feed(buf, 0, n);
      return;
    }
    if (this.resp !== null) {
      this.resp.feed(buf, 0, n);
      return;
    }
    this.loginText += buf.toString('latin1', 0, n);
    this.advanceLogin();
  }

  /** The seed's login exchange: prompts without newline, then a welcome or a refusal line. */
  private advanceLogin(): void {
    const t = this.loginText;
    if (this.step === Step.WaitUser) {
      const i = t.indexOf('Enter username: ');
      if (i < 0) return;
      this.loginText = t.slice(i + 16);
      this.step = Step.WaitPass;
      this.socket.write(`${fillPattern(this.cfg.userPattern, this.id + 1)}\n`);
    }
    if (this.step === Step.WaitPass) {
      const i = this.loginText.indexOf('Enter password: ');
      if (i < 0) return;
      this.loginText = this.loginText.slice(i + 16);
      this.step = Step.WaitWelcome;
      this.socket.write(`${fillPattern(this.cfg.passPattern, this.id + 1)}\n`);
    }
    if (this.step === Step.WaitWelcome) {
      const nl = this.loginText.indexOf('\n');
      if (nl < 0) return;
      const line = this.loginText.slice(0, nl);
      const rest = this.loginText.slice(nl + 1);
      this.loginText = '';
      if (!line.startsWith('Welcome ')) {
        this.fail(line.trim());
        return;
      }
      this.step = Step.Ready;
      this.settle(true);
      if (this.room !== null) this.socket.write(`/join ${this.room}\n`);
      if (rest.length > 0) {
        const b = Buffer.from(rest, 'latin1');
        this.lines!.feed(b, 0, b.length);
      }
    }
  }

  /**
   * A WebSocket text message: after login the hot path (a bench payload parsed from the bytes, no
   * JSON.parse); before it, the few login frames, parsed properly (hello, welcome, login-failed).
   */
  private onWsText(buf: Buffer, start: number, end: number): void {
    if (this.step === Step.Ready) {
      if (parseWsMessagePayload(buf, start, end, fields)) this.sink.payload(fields);
      else this.sink.line();
      return;
    }
    let m: unknown;
    try { m = JSON.parse(buf.toString('utf8', start, end)); } catch { return this.fail('websocket: a frame that is not JSON'); }
    if (typeof m !== 'object' || m === null || !('type' in m)) return this.fail('websocket: a frame without a type');
    if (m.type === 'hello') return;
    if (m.type !== 'welcome') return this.fail(`${String(m.type)}: ${'text' in m ? String(m.text) : ''}`);
    // The browser protocol's join keeps the user in the default room too: part it, as the text protocol's /join moves.
    const home = 'rooms' in m && Array.isArray(m.rooms) && typeof m.rooms[0] === 'string' ? m.rooms[0] : 'lobby';
    const room = this.room ?? home;
    this.sayPrefix = `{"type":"say","room":${JSON.stringify(room)},"text":"`;
    this.step = Step.Ready;
    this.settle(true);
    if (this.room !== null && this.room !== home) {
      this.socket.write(Buffer.concat([this.ws!.frame({ type: 'join', room: this.room }), this.ws!.frame({ type: 'part', room: home })]));
    }
  }

  private onLine(buf: Buffer, start: number, end: number): void {
    const p = payloadStartInChatLine(buf, start, end);
    if (p >= 0 && parsePayload(buf, p, end, fields)) this.sink.payload(fields);
    else this.sink.line();
  }

  private onBulk(buf: Buffer, start: number, end: number): void {
    if (this.step === Step.Ready) {
      if (parsePayload(buf, start, end, fields)) this.sink.payload(fields);
      else this.sink.line();
      return;
    }
    if (end - start === BULK_SUBSCRIBE.length && buf.compare(BULK_SUBSCRIBE, 0, BULK_SUBSCRIBE.length, start, end) === 0) {
      this.step = Step.Ready;
      this.settle(true);
    }
  }
}
