import { connect, type Socket } from 'node:net';
import { LineReader } from './line-reader.js';
import { WsLink } from './ws-link.js';
import type { HostileEndpoints } from './hostile-attacks.js';

/**
 * The well-behaved users of `bench hostile`, who must not notice the attack: two who chat in the
 * lobby over different protocols (every line numbered, checked for loss and order at the other
 * end), and probes that log in afresh over each protocol, timed from connect to welcome. They run
 * in the measuring process at a few lines a second: plain strings are fine here.
 */

export type UserProto = 'text' | 'irc' | 'ws' | 'wsirc';
export const USER_PROTOS: readonly UserProto[] = ['text', 'irc', 'ws', 'wsirc'];

interface UserEvents {
  welcome(): void;
  /** A lobby line from another user. */
  chat(from: string, text: string): void;
  /** The connection closed; `last`: the last thing the server said (for a refused login). */
  closed(last: string): void;
}

const IRC_PRIVMSG = /^(?:@\S+ )?:([^! ]+)!\S* PRIVMSG #lobby :(.*)$/;
const TEXT_CHAT = /^([A-Za-z0-9_-]+): (.*)$/;

/** One logged-in user over one protocol, from 127.0.0.1 (or `from`): says lines to the lobby, hears others'. */
export class UserConn {
  private readonly socket: Socket;
  private ws: WsLink | null = null;
  private last = '';
  private welcomed = false;

  constructor(
    readonly proto: UserProto,
    endpoints: HostileEndpoints,
    private readonly name: string,
    password: string,
    private readonly events: UserEvents,
    from = '127.0.0.1',
  ) {
    const at = proto === 'text' ? endpoints.text : proto === 'irc' ? endpoints.irc : endpoints.web;
    this.socket = connect({ host: at.host, port: at.port, localAddress: from, noDelay: true });
    this.socket.on('error', () => {});
    this.socket.once('close', () => events.closed(this.last));
    const register = [`PASS ${password}`, `NICK ${name}`, `USER ${name} 0 * :${name}`];
    if (proto === 'ws' || proto === 'wsirc') {
      const ws = new WsLink(this.socket, at.host, at.port, '/ws', {
        opened: () => {
          if (proto === 'ws') ws.send(JSON.stringify({ type: 'login', user: name, password }));
          else for (const l of register) ws.send(l);
        },
        text: (buf, start, end) => this.message(buf.toString('utf8', start, end)),
        other: () => {},
        failed: (why) => {
          this.last = why;
          this.socket.destroy();
        },
      }, proto === 'wsirc' ? 'text.ircv3.net' : undefined);
      this.ws = ws;
      this.socket.on('data', (d: Buffer) => ws.feed(d, 0, d.length));
      return;
    }
    const reader = new LineReader((buf, start, end) => this.message(buf.toString('utf8', start, end).replace(/\r$/, '')));
    this.socket.on('data', (d: Buffer) => reader.feed(d, 0, d.length));
    this.socket.once('connect', () => this.socket.write(proto === 'text' ? `${name}\n${password}\n` : register.map((l) => `${l}\r\n`).join('')));
  }

  say(text: string): void {
    switch (this.proto) {
      case 'text': return void this.socket.write(`${text}\n`);
      case 'irc': return void this.socket.write(`PRIVMSG #lobby :${text}\r\n`);
      case 'ws': return this.ws!.send(JSON.stringify({ type: 'say', room: 'lobby', text }));
      case 'wsirc': return this.ws!.send(`PRIVMSG #lobby :${text}`);
    }
  }

  /** Leaves the way the protocol's users do; the server then closes the connection. */
  quit(): void {
    switch (this.proto) {
      case 'text': return void this.socket.write('exit\n');
      case 'irc': return void this.socket.write('QUIT\r\n');
      case 'ws': return this.ws!.close();
      case 'wsirc': return this.ws!.send('QUIT');
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private message(m: string): void {
    this.last = m.slice(0, 200);
    if (this.proto === 'ws') return this.json(m);
    if (this.proto === 'text') {
      if (!this.welcomed && m.includes(`Welcome ${this.name}!`)) return this.welcome();
      const chat = TEXT_CHAT.exec(m);
      if (chat !== null) this.events.chat(chat[1]!, chat[2]!);
      return;
    }
    if (m.startsWith('PING ')) return this.sayRaw(`PONG ${m.slice(5)}`);
    if (!this.welcomed && / 001 /.test(m)) return this.welcome();
    const chat = IRC_PRIVMSG.exec(m);
    if (chat !== null) this.events.chat(chat[1]!, chat[2]!);
  }

  private json(m: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(m);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const f = msg as { type?: unknown; from?: unknown; room?: unknown; text?: unknown };
    if (f.type === 'welcome' && !this.welcomed) this.welcome();
    else if (f.type === 'message' && f.room === 'lobby' && typeof f.from === 'string' && typeof f.text === 'string') this.events.chat(f.from, f.text);
  }

  private sayRaw(line: string): void {
    if (this.ws !== null) this.ws.send(line);
    else this.socket.write(`${line}\r\n`);
  }

  private welcome(): void {
    this.welcomed = true;
    this.events.welcome();
  }
}

/** What the two chatters saw: every line numbered, each side checking the other's. */
export interface ChatResult {
  sent: Record<string, number>;
  received: Record<string, number>;
  /** Lines that arrived out of order or twice ("bob got alice #7 after #9"), at most 20. */
  disorder: string[];
  /** Lines sent and never delivered, per receiver. */
  missing: Record<string, number>;
}

const CHAT_TEXT = /^hostile-check #(\d+)$/;

/** One of the two chatters: sends `hostile-check #n` lines, checks the other's arrive in order. */
export class Chatter {
  private conn: UserConn | null = null;
  sent = 0;
  received = 0;
  /** The next number expected from the peer. */
  private expect = 0;
  readonly disorder: string[] = [];
  private onWelcome: (() => void) | null = null;
  private onCaughtUp: (() => void) | null = null;
  peerSent = 0;
  closedEarly: string | null = null;

  constructor(
    readonly name: string,
    private readonly peer: string,
  ) {}

  /** Logs in; resolves at the welcome, rejects if the connection closes first. */
  start(proto: UserProto, endpoints: HostileEndpoints, password: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onWelcome = resolve;
      this.conn = new UserConn(proto, endpoints, this.name, password, {
        welcome: () => this.onWelcome?.(),
        chat: (from, text) => this.heard(from, text),
        closed: (last) => {
          this.closedEarly = `${this.name}'s connection closed (last: ${JSON.stringify(last)})`;
          reject(new Error(this.closedEarly));
        },
      });
    });
  }

  sayNext(): void {
    this.conn!.say(`hostile-check #${this.sent++}`);
  }

  /** Resolves once every line the peer sent (`peerSent`) has arrived, or after `ms`. */
  caughtUp(ms: number): Promise<void> {
    if (this.expect >= this.peerSent) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onCaughtUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  get missing(): number {
    return Math.max(0, this.peerSent - this.received);
  }

  stop(): void {
    this.conn?.destroy();
  }

  private heard(from: string, text: string): void {
    if (from !== this.peer) return;
    const m = CHAT_TEXT.exec(text);
    if (m === null) return;
    const n = Number(m[1]);
    if (n !== this.expect && this.disorder.length < 20) this.disorder.push(`${this.name} got ${from} #${n} when #${this.expect} was due`);
    this.expect = Math.max(this.expect, n + 1);
    this.received++;
    if (this.expect >= this.peerSent && this.peerSent > 0) this.onCaughtUp?.();
  }
}

/** One login of a probe: how long from connect to welcome, or why it failed. */
export type ProbeOutcome = { ok: true; ms: number } | { ok: false; why: string };

/**
 * A new user logging in over `proto` from 127.0.0.1: resolves with the time from connect to the
 * welcome (then quits and waits for the server's close, so the name is free again), or the reason
 * it failed within `timeoutMs`.
 */
export function probeLogin(proto: UserProto, endpoints: HostileEndpoints, name: string, password: string, timeoutMs: number, from?: string): Promise<ProbeOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let outcome: ProbeOutcome | null = null;
    const timer = setTimeout(() => {
      outcome ??= { ok: false, why: `no welcome within ${timeoutMs} ms` };
      conn.destroy();
    }, timeoutMs);
    const conn = new UserConn(proto, endpoints, name, password, {
      welcome: () => {
        outcome = { ok: true, ms: performance.now() - t0 };
        conn.quit();
      },
      chat: () => {},
      closed: (last) => {
        clearTimeout(timer);
        resolve(outcome ?? { ok: false, why: `closed before the welcome (last: ${JSON.stringify(last)})` });
      },
    }, from);
  });
}
