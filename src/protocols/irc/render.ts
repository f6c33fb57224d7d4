import type { ChatEvent, Renderer } from '../../core/events.js';
import type { RefusalCode } from '../../core/transport.js';
import { formatCommand } from './codec.js';
import { utcTime } from '../../core/history.js';

/**
 * Hub events -> IRC lines (CRLF-terminated). A room `dev` is the channel `#dev`; a user is
 * `nick!nick@HOST` (one host for everyone: addresses are not shown to other users).
 *
 * Contract:
 * - Pure and the same for every recipient: nothing per recipient appears in a render (a server
 *   notice goes to `*`, not to the recipient's nick), so the hub renders a broadcast once per
 *   renderer instance and every IRC recipient with the same capabilities gets the same Buffer.
 * - The capabilities that change what a broadcast looks like are renderer variants, one instance
 *   each (IrcRenderers), chosen by the session before login: server-time (`@time=...` on stamped
 *   events) and away-notify (AWAY lines; without it an away event renders to nothing, which the
 *   hub does not queue). The hub renders a broadcast once per variant in use, at most four.
 * - No line the server sends is longer than 512 bytes without its tags: long user text is split over
 *   several messages at character boundaries (a text user may send 4 KiB in one line).
 */
export class IrcRenderer implements Renderer {
  readonly id: string;
  /** Prefix stamped events with `@time=` (the server-time capability). */
  private readonly serverTime: boolean;
  /** Render away events as AWAY lines (the away-notify capability). */
  private readonly awayNotify: boolean;

  constructor(
    private readonly serverName: string,
    /** The host part of every user's source. */
    private readonly userHost: string,
    variant: IrcVariant,
  ) {
    this.serverTime = variant.serverTime;
    this.awayNotify = variant.awayNotify;
    this.id = `irc${this.serverTime ? '+time' : ''}${this.awayNotify ? '+away' : ''}`;
  }

  /** `nick!nick@host`. */
  source(nick: string): string {
    return `${nick}!${nick}@${this.userHost}`;
  }

  render(event: ChatEvent): Buffer {
    return Buffer.from(this.lines(event), 'utf8');
  }

  private lines(event: ChatEvent): string {
    switch (event.kind) {
      case 'message':
        return this.say(event.stamp.at, event.from, 'PRIVMSG', channel(event.room), event.text, '', '');
      case 'action':
        return this.say(event.stamp.at, event.from, 'PRIVMSG', channel(event.room), event.text, '\x01ACTION ', '\x01');
      case 'private':
        return this.say(event.stamp.at, event.from, 'PRIVMSG', event.to, event.text, '', '');
      case 'joined':
        return this.line(event.stamp.at, this.source(event.user), 'JOIN', [channel(event.room)]);
      case 'left':
        return event.how === 'part'
          ? this.line(event.stamp.at, this.source(event.user), 'PART', [channel(event.room)])
          : this.line(event.stamp.at, this.source(event.user), 'QUIT', [event.reason === undefined ? 'Quit' : `Quit: ${oneLine(event.reason)}`], true);
      case 'away':
        if (!this.awayNotify) return '';
        return this.line(event.stamp.at, this.source(event.user), 'AWAY', event.text === '' ? [] : [oneLine(event.text)], true);
      case 'topic':
        return this.line(event.stamp.at, this.source(event.by), 'TOPIC', [channel(event.room), oneLine(event.text)]);
      case 'history': {
        // Replayed lines are marked in the text too: a client without server-time would show them as new.
        const e = event.entry;
        const mark = `[HISTORY ${utcTime(e.at)}] `;
        if (e.kind === 'topic') return this.line(undefined, this.serverName, 'NOTICE', [channel(e.room), oneLine(`${mark}${e.from} set the topic: ${e.text}`)]);
        return this.say(e.at, e.from, 'PRIVMSG', channel(e.room), `${e.kind === 'action' ? '' : mark}${e.text}`, e.kind === 'action' ? `\x01ACTION ${mark}` : '', e.kind === 'action' ? '\x01' : '');
      }
      case 'offline': {
        const e = event.entry;
        return this.say(e.at, e.from, 'PRIVMSG', e.to, `[OFFLINE ${utcTime(e.at)}] ${e.text}`, '', '');
      }
      case 'notice':
        return this.line(undefined, this.serverName, 'NOTICE', ['*', oneLine(event.text)]);
      case 'closing':
        return `ERROR :${event.code === 'SENDQ_EXCEEDED' ? 'SendQ exceeded' : `Closing link: ${oneLine(event.text)}`}\r\n`;
    }
  }

  /** One line `[@time] :source COMMAND params\r\n` (`trailing`: the last param always with its colon). */
  line(at: number | undefined, source: string, command: string, params: readonly string[], trailing = false): string {
    const time = this.serverTime && at !== undefined ? `@time=${new Date(at).toISOString()} ` : '';
    return `${time}:${source} ${formatCommand(command, params, trailing)}\r\n`;
  }

  /** PRIVMSG/NOTICE of user text, split so each line stays within 512 bytes (CTCP framing kept on every piece). */
  private say(at: number, from: string, command: string, target: string, text: string, open: string, close: string): string {
    const src = this.source(from);
    const overhead = Buffer.byteLength(`:${src} ${command} ${target} :${open}${close}\r\n`);
    let out = '';
    for (const piece of splitBytes(oneLine(text), Math.max(MIN_PIECE, MAX_LINE - overhead))) out += this.line(at, src, command, [target, `${open}${piece}${close}`]);
    return out;
  }
}

/** The capabilities that make a renderer variant. */
export interface IrcVariant {
  readonly serverTime: boolean;
  readonly awayNotify: boolean;
}

/**
 * Every renderer variant, built once per listener and shared by all its sessions, so the hub's
 * render-once cache sees one IRC renderer per variant in use.
 */
export class IrcRenderers {
  private readonly all: readonly IrcRenderer[];

  constructor(serverName: string, userHost: string) {
    this.all = [0, 1, 2, 3].map((i) => new IrcRenderer(serverName, userHost, { serverTime: (i & 1) !== 0, awayNotify: (i & 2) !== 0 }));
  }

  for(serverTime: boolean, awayNotify: boolean): IrcRenderer {
    return this.all[(serverTime ? 1 : 0) | (awayNotify ? 2 : 0)]!;
  }

  /** The variant without tags: for replies that add their own (CHATHISTORY batches). */
  get plain(): IrcRenderer {
    return this.all[0]!;
  }
}

/** The longest IRC line without tags, CRLF included (modern.ircdocs.horse). */
export const MAX_LINE = 512;
/** A piece of split text is never shorter than this, however long the nick and channel. */
const MIN_PIECE = 64;

export function channel(room: string): string {
  return `#${room}`;
}

/** CR, LF and NUL cannot appear in a parameter (they would end or corrupt the line). */
function oneLine(text: string): string {
  return /[\r\n\0]/.test(text) ? text.replace(/[\r\n\0]/g, ' ') : text;
}

/** `text` in pieces of at most `max` UTF-8 bytes, never cutting a character. */
export function splitBytes(text: string, max: number): string[] {
  if (Buffer.byteLength(text) <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > max) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** What the listener sends before closing a connection it refuses at accept time. */
export const REFUSALS: Readonly<Record<RefusalCode, Buffer>> = {
  SERVER_FULL: Buffer.from('ERROR :Closing link: Server full, try again later.\r\n'),
  TOO_MANY_FROM_IP: Buffer.from('ERROR :Closing link: Too many connections from your address.\r\n'),
};
