import type { Socket } from 'node:net';
import { LineReader } from './line-reader.js';
import { ircCommandIs, ircCommandStart, ircPrivmsgText } from './payload.js';

/** What an IRC connection hands its owner (ClientConn). */
export interface IrcLinkEvents {
  /** Registered (001) and in the channel (366 for it): messages may be sent now. */
  ready(): void;
  /** The text of a PRIVMSG after registration, bytes [start, end) (CR included): valid only during the call. */
  message(buf: Buffer, start: number, end: number): void;
  /** Any other line after registration. */
  other(): void;
  failed(why: string): void;
}

/** What an IRC client registers with and which channel it sits in. */
export interface IrcIdentity {
  nick: string;
  /** Sent as `PASS` first when not null (our server's login); ngIRCd and InspIRCd get none. */
  password: string | null;
  /** `#bench`, or `#r<k>` with --rooms. */
  channel: string;
}

const PING = Buffer.from('PING ');

/**
 * Numerics that end a registration or the JOIN: nick in use or invalid (431-437), not registered
 * (451), bad parameters or password (461-465), cannot join (471-479), no such channel (403),
 * too many channels (405), line too long (417). 422 (no MOTD) and the rest are informational.
 */
const FATAL = /^(4(0[35]|17|3[1-7]|51|6[1-5]|7\d))$/;

/**
 * The IRC layer of one generator connection (no IRC library): registers with PASS/NICK/USER on
 * connect, JOINs its channel after 001, is ready at the channel's 366, answers PING with PONG at
 * any time, and after that hands each PRIVMSG text to its owner as a byte range of the shared read
 * buffer. Registration lines are parsed as strings (a few per login); the receive path builds none.
 */
export class IrcLink {
  private readonly reader: LineReader;
  private readonly sayPrefix: string;
  private state: 'registering' | 'joining' | 'ready' = 'registering';

  constructor(private readonly socket: Socket, private readonly id: IrcIdentity, private readonly events: IrcLinkEvents) {
    this.sayPrefix = `PRIVMSG ${id.channel} :`;
    this.reader = new LineReader((b, s, e) => this.onLine(b, s, e));
    const pass = id.password !== null ? `PASS ${id.password}\r\n` : '';
    socket.once('connect', () => socket.write(`${pass}NICK ${id.nick}\r\nUSER ${id.nick} 0 * :${id.nick}\r\n`));
  }

  feed(buf: Buffer, start: number, end: number): void {
    this.reader.feed(buf, start, end);
  }

  /** One bench payload to the channel: one string and one write per message, as the text protocol. */
  send(payload: string): void {
    this.socket.write(`${this.sayPrefix}${payload}\r\n`);
  }

  /** QUIT: the server answers ERROR and closes the connection. */
  quit(): void {
    this.socket.write('QUIT\r\n');
  }

  private onLine(buf: Buffer, start: number, end: number): void {
    if (this.state === 'ready') {
      const p = ircPrivmsgText(buf, start, end);
      if (p >= 0) this.events.message(buf, p, end);
      else if (ircCommandIs(buf, ircCommandStart(buf, start, end), end, PING)) this.pong(buf.toString('latin1', start, end));
      else this.events.other();
      return;
    }
    this.registrationLine(buf.toString('latin1', start, end).replace(/\r$/, ''));
  }

  /** `PING :token` (or with a prefix) → `PONG :token`. */
  private pong(line: string): void {
    const i = line.indexOf('PING ');
    this.socket.write(`PONG ${line.slice(i + 5).replace(/\r$/, '')}\r\n`);
  }

  private registrationLine(line: string): void {
    const words = line.replace(/^@\S+ /, '').replace(/^:\S+ /, '').split(' ');
    const cmd = words[0] ?? '';
    if (cmd === 'PING') return this.pong(line);
    if (cmd === 'ERROR' || FATAL.test(cmd)) return this.events.failed(line.slice(0, 200));
    if (cmd === '001' && this.state === 'registering') {
      this.state = 'joining';
      this.socket.write(`JOIN ${this.id.channel}\r\n`);
    } else if (cmd === '366' && this.state === 'joining' && words[2]?.toLowerCase() === this.id.channel.toLowerCase()) {
      this.state = 'ready';
      this.events.ready();
    }
  }
}
