import * as actions from '../../core/actions.js';
import { cleanText } from '../../core/sanitize.js';
import { keepForLater, offlineText } from '../../core/history.js';
import { DEFAULTS } from '../../core/limits.js';
import type { ChatEvent } from '../../core/events.js';
import type { ChatMember } from '../../core/member.js';
import type { IrcMessage } from './codec.js';
import * as q from './queries.js';
import { authenticate, cap, nick, pass, user } from './registration.js';
import { chathistory } from './chathistory.js';
import { channel } from './render.js';
import type { IrcSession } from './session.js';

/**
 * The IRC command table and its one gate (as ergo's irc/commands.go): every command a client may
 * send, how many params it needs, whether it works before registration and whether flood control
 * counts it. Unknown commands get 421, never silence; registered-only ones before registration 451.
 * The handlers here change chat state through src/core/actions.ts; the read-only answers are in
 * queries.ts and registration in registration.ts.
 */

interface IrcCommand {
  /** Params required, else 461. */
  readonly min: number;
  /** Allowed before registration (the rest get 451). */
  readonly pre?: boolean;
  /** Not counted by flood control and run even when the user is behind (PING, PONG, QUIT). */
  readonly free?: boolean;
  /** Not a command with a reply of its own: skips the outbox readiness check (PRIVMSG, NOTICE). */
  readonly talk?: boolean;
  /** `m` is the member once registered, undefined before (only `pre` commands see that). */
  run(s: IrcSession, p: readonly string[], m: ChatMember | undefined): void;
}

/** For handlers that run only once registered. */
function registered(run: (s: IrcSession, p: readonly string[], m: ChatMember) => void, min = 0, extra: Partial<IrcCommand> = {}): IrcCommand {
  return { min, ...extra, run: (s, p, m) => run(s, p, m!) };
}

const TABLE: ReadonlyMap<string, IrcCommand> = new Map<string, IrcCommand>([
  ['CAP', { min: 1, pre: true, run: cap }],
  ['NICK', { min: 0, pre: true, run: nick }],
  ['USER', { min: 4, pre: true, run: user }],
  ['PASS', { min: 1, pre: true, run: pass }],
  ['AUTHENTICATE', { min: 1, pre: true, run: authenticate }],
  ['PING', { min: 1, pre: true, free: true, run: (s, p) => s.raw(s.renderer.line(undefined, s.settings.serverName, 'PONG', [s.settings.serverName, p[0]!])) }],
  ['PONG', { min: 0, pre: true, free: true, run: () => {} }],
  ['QUIT', { min: 0, pre: true, free: true, run: quit }],
  ['JOIN', registered(join, 1)],
  ['PART', registered(part, 1)],
  ['PRIVMSG', registered((s, p, m) => talk(s, p, m, 'PRIVMSG'), 0, { talk: true })],
  ['NOTICE', registered((s, p, m) => talk(s, p, m, 'NOTICE'), 0, { talk: true })],
  // Client-only tags are not relayed, so a TAGMSG (typing notifications) has nothing to carry.
  ['TAGMSG', registered(() => {}, 1, { talk: true })],
  ['TOPIC', registered(topic, 1)],
  ['KICK', registered(kick, 2)],
  ['INVITE', registered(invite, 2)],
  ['AWAY', registered(away)],
  ['NAMES', registered((s, p) => (p[0] === undefined ? s.num('366', '*', 'End of /NAMES list') : p[0].split(',').forEach((c) => q.names(s, c.replace(/^#/, '')))))],
  ['WHO', registered((s, p) => q.who(s, p[0] ?? '*'))],
  ['WHOIS', registered((s, p) => q.whois(s, p[p.length - 1]!), 1)],
  ['MODE', registered((s, p, m) => q.mode(s, m, p[0]!, p[1]), 1)],
  ['LIST', registered((s) => q.list(s))],
  ['MOTD', registered((s) => q.motd(s))],
  ['LUSERS', registered((s) => q.lusers(s))],
  ['ISON', registered((s, p) => q.ison(s, p), 1)],
  ['USERHOST', registered((s, p) => q.userhost(s, p), 1)],
  ['VERSION', registered((s) => q.version(s))],
  ['TIME', registered((s) => q.time(s))],
  ['CHATHISTORY', registered(chathistory)],
]);

/** The gate: looks the command up, applies registration, flood control and readiness, checks params, runs it. */
export function dispatch(s: IrcSession, msg: IrcMessage, text: string): void {
  const cmd = TABLE.get(msg.command);
  const m = s.member;
  if (m !== undefined && cmd?.free !== true && s.core.flood !== undefined && !s.core.flood.admit(text)) return;
  if (cmd === undefined) return s.num('421', msg.command, 'Unknown command');
  if (m === undefined && cmd.pre !== true) return s.num('451', 'You have not registered');
  if (m !== undefined && cmd.free !== true && cmd.talk !== true && !m.readyForCommand()) return;
  if (msg.params.length < cmd.min) return s.num('461', msg.command, 'Not enough parameters');
  cmd.run(s, msg.params, m);
}

/** QUIT [:reason]: `ERROR :Closing link: Quit: reason` to the user; IRC neighbours see `QUIT :Quit: reason`. */
function quit(s: IrcSession, p: readonly string[], m: ChatMember | undefined): void {
  const reason = cleanText(p[0] ?? '').slice(0, DEFAULTS.quitReasonMaxLength);
  const why = reason === '' ? 'Client quit' : `Quit: ${reason}`;
  if (m !== undefined) return actions.quit(m, 'CLIENT_EXIT', reason, why);
  s.close(why, 'CLIENT_EXIT');
}

/** Channel names here are `#` + a room name; anything else is 403. */
function roomOf(target: string): string | null {
  return target.startsWith('#') ? actions.roomName(target) : null;
}

function join(s: IrcSession, p: readonly string[], m: ChatMember): void {
  if (p[0] === '0') {
    for (const room of [...m.rooms]) if (actions.part(m, room) === 'parted') s.raw(s.renderer.line(s.ctx.hub.now(), s.renderer.source(m.name), 'PART', [channel(room)]));
    return;
  }
  for (const target of p[0]!.split(',')) {
    if (target === '') continue;
    const room = roomOf(target);
    if (room === null) {
      s.num('403', target, 'No such channel');
      continue;
    }
    switch (actions.join(m, room)) {
      case 'joined':
        q.joinReply(s, m, room);
        break;
      case 'too-many-joined':
        s.num('405', target, 'You have joined too many channels');
        break;
      case 'too-many-rooms':
        s.num('405', target, 'Too many channels exist; join an existing one');
        break;
      case 'invalid-name':
        s.num('403', target, 'No such channel');
        break;
      case 'already-in':
        break;
    }
  }
}

function part(s: IrcSession, p: readonly string[], m: ChatMember): void {
  for (const target of p[0]!.split(',')) {
    const room = roomOf(target);
    // The room as spelt while it exists (names and rooms are case-insensitive: #Dev is #dev).
    if (room === null || s.ctx.hub.createdAt(room) === undefined) {
      s.num('403', target, 'No such channel');
      continue;
    }
    const shown = s.ctx.hub.spelling(room);
    if (actions.part(m, room) === 'not-in-room') s.num('442', target, "You're not on that channel");
    else s.raw(s.renderer.line(s.ctx.hub.now(), s.renderer.source(m.name), 'PART', [channel(shown)]));
  }
}

/** `\x01ACTION waves\x01` -> { ctcp: 'ACTION', body: 'waves' }; plain text -> undefined. */
function ctcpOf(text: string): { ctcp: string; body: string } | undefined {
  if (text.charCodeAt(0) !== 1) return undefined;
  const inner = text.slice(1, text.endsWith('\x01') ? -1 : undefined);
  const sp = inner.indexOf(' ');
  return sp === -1 ? { ctcp: inner.toUpperCase(), body: '' } : { ctcp: inner.slice(0, sp).toUpperCase(), body: inner.slice(sp + 1) };
}

/**
 * PRIVMSG and NOTICE to channels and nicks. A CTCP ACTION is the core's action (`* nick waves` on
 * the text protocol); other CTCP requests are not relayed (a text user would see their raw words).
 * NOTICE never gets an error back (RFC 2812 3.3.2).
 */
function talk(s: IrcSession, p: readonly string[], m: ChatMember, command: 'PRIVMSG' | 'NOTICE'): void {
  const error = command === 'PRIVMSG' ? (code: string, ...params: string[]) => s.num(code, ...params) : () => {};
  if (p[0] === undefined || p[0] === '') return error('411', `No recipient given (${command})`);
  if (p[1] === undefined || p[1] === '') return error('412', 'No text to send');
  const ctcp = ctcpOf(p[1]);
  if (ctcp !== undefined && ctcp.ctcp !== 'ACTION') return;
  for (const target of p[0].split(',').slice(0, 4)) {
    if (target.startsWith('#')) {
      const room = target.slice(1);
      const result = ctcp !== undefined ? actions.act(m, room, ctcp.body) : actions.say(m, room, p[1]);
      if (result === 'empty') error('412', 'No text to send');
      else if (result === 'not-in-room') error(s.ctx.hub.createdAt(room) === undefined ? '403' : '404', target, s.ctx.hub.createdAt(room) === undefined ? 'No such channel' : 'Cannot send to channel');
      else echo(s, m, ctcp !== undefined ? { kind: 'action', room: s.ctx.hub.spelling(room), text: ctcp.body } : { kind: 'message', room: s.ctx.hub.spelling(room), text: p[1] });
      continue;
    }
    // The core has no private action: it goes as `* nick waves`, which reads the same on every protocol.
    const text = ctcp !== undefined ? `* ${m.name} ${ctcp.body}` : p[1];
    const result = actions.whisper(m, target, text);
    if (result === 'empty') error('412', 'No text to send');
    else if (result === 'offline') {
      // With --data-dir a message to an offline account is kept, or not for a reason a NOTICE gives; else 401.
      s.core.afterOffline(keepForLater(m, target, text), (kept) => (kept === 'unavailable' || kept === 'no-account' ? error('401', target, 'No such nick/channel') : s.notice(offlineText(kept, target))));
    } else {
      const away = s.ctx.hub.find(target)?.away;
      if (away !== undefined) error('301', target, away);
      echo(s, m, { kind: 'private', to: s.ctx.hub.find(target)?.name ?? target, text });
    }
  }
}

type Echoed = { kind: 'message' | 'action'; room: string; text: string } | { kind: 'private'; to: string; text: string };

/** echo-message: the sender gets their own message back as the others saw it. */
function echo(s: IrcSession, m: ChatMember, what: Echoed): void {
  if (!s.caps.has('echo-message')) return;
  const stamp = { id: 0, at: s.ctx.hub.now(), origin: 'local' };
  const text = cleanText(what.text);
  const event: ChatEvent = what.kind === 'private' ? { kind: 'private', stamp, from: m.name, to: what.to, text } : { kind: what.kind, stamp, from: m.name, room: what.room, text };
  s.raw(s.renderer.render(event).toString('utf8'));
}

function topic(s: IrcSession, p: readonly string[], m: ChatMember): void {
  const target = p[0]!;
  const room = roomOf(target);
  if (room === null || s.ctx.hub.createdAt(room) === undefined) return s.num('403', target, 'No such channel');
  if (p[1] === undefined) return q.topicReply(s, room);
  // The hub tells every member, the setter included; nothing to answer on success.
  if (actions.setTopic(m, room, p[1]) === 'not-in-room') s.num('442', target, "You're not on that channel");
}

/** AWAY: 305/306 to the user; the neighbours who negotiated away-notify see an AWAY line (the hub's away event). */
/**
 * KICK #chan nick: there are no channel operators here (the admin's /kick, which disconnects, is a
 * text and browser command), so nobody holds the privilege: 403/442 as the modern spec orders the
 * checks, then 482 ERR_CHANOPRIVSNEEDED.
 */
function kick(s: IrcSession, p: readonly string[], m: ChatMember): void {
  const target = p[0]!.split(',')[0]!;
  const room = roomOf(target);
  if (room === null || s.ctx.hub.createdAt(room) === undefined) return s.num('403', target, 'No such channel');
  if (!m.rooms.has(s.ctx.hub.spelling(room))) return s.num('442', target, "You're not on that channel");
  s.num('482', target, "You're not channel operator");
}

/**
 * INVITE nick #chan: channels are open to everyone (no +i), so an invitation is only a pointer. The
 * checks and 341 RPL_INVITING follow the modern spec; the invitee gets it as a private message
 * (`* nick invites you to #chan`), which reads the same on every protocol.
 */
function invite(s: IrcSession, p: readonly string[], m: ChatMember): void {
  const [nick, target] = [p[0]!, p[1]!];
  const invitee = s.ctx.hub.find(nick);
  if (invitee === undefined) return s.num('401', nick, 'No such nick/channel');
  const room = roomOf(target);
  if (room === null || s.ctx.hub.createdAt(room) === undefined) return s.num('403', target, 'No such channel');
  const shown = s.ctx.hub.spelling(room);
  if (!m.rooms.has(shown)) return s.num('442', target, "You're not on that channel");
  if (invitee.rooms.has(shown)) return s.num('443', invitee.name, target, 'is already on channel');
  if (actions.whisper(m, invitee.name, `* ${m.name} invites you to ${channel(shown)}`) !== 'sent') return s.num('401', nick, 'No such nick/channel');
  s.num('341', invitee.name, channel(shown));
}

function away(s: IrcSession, p: readonly string[], m: ChatMember): void {
  if (actions.setAway(m, p[0] ?? '') === 'back') s.num('305', 'You are no longer marked as being away');
  else s.num('306', 'You have been marked as being away');
}
