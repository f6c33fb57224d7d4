import type { Person } from '../../core/remote.js';
import { DEFAULTS } from '../../core/limits.js';
import type { ChatMember } from '../../core/member.js';
import { chathistoryMax } from './chathistory.js';
import { channel } from './render.js';
import type { IrcSession } from './session.js';

/**
 * The IRC answers that report state without changing it: the registration burst (001-005, LUSERS,
 * MOTD), a join's topic and names, NAMES, WHO, WHOIS, LIST, MODE, ISON, USERHOST, VERSION, TIME.
 * Each queues numerics on the session (one reply per command, see IrcSession.flush); none touches
 * the hub except to read it.
 */

const MOTD = [
  'Rooms are channels here: #lobby is the room everyone starts in, and /join #dev is the same room',
  'a text-protocol user reaches with /join dev. Your nick is your account name.',
];

/** Params per 353 line: names are at most 32 bytes (+ user@host), so a line stays under 512. */
const NAMES_PER_LINE = 10;

/** 001-005, LUSERS and MOTD: queued on the session and returned as one buffer (admit's welcome). */
export function welcome(s: IrcSession): Buffer {
  const { serverName, network, version, createdAt, maxRoomsPerUser } = s.settings;
  const nick = s.target;
  s.num('001', `Welcome to the ${network} IRC Network ${nick}`);
  s.num('002', `Your host is ${serverName}, running version ${version}`);
  s.num('003', `This server was created ${createdAt}`);
  s.num('004', serverName, version, 'i', 'b');
  s.num(
    '005',
    'AWAYLEN=300',
    'CASEMAPPING=ascii',
    `CHANLIMIT=#:${maxRoomsPerUser}`,
    'CHANMODES=b,,,',
    `CHANNELLEN=${DEFAULTS.roomMaxLength + 1}`,
    'CHANTYPES=#',
    `CHATHISTORY=${chathistoryMax(s)}`,
    'MSGREFTYPES=timestamp',
    `NETWORK=${network}`,
    `NICKLEN=${DEFAULTS.nameMaxLength}`,
    'PREFIX=',
    'TARGMAX=PRIVMSG:4,NOTICE:4,JOIN:,PART:,NAMES:1,WHOIS:1',
    `TOPICLEN=${DEFAULTS.topicMaxLength}`,
    'are supported by this server',
  );
  lusers(s);
  motd(s);
  return s.take();
}

export function lusers(s: IrcSession): void {
  const { hub, counters } = s.ctx;
  // +1: the user registering now is counted before the hub has them.
  const users = hub.size + (s.member === undefined ? 1 : 0);
  // In a cluster the other nodes are the other "servers" and their users the global ones.
  const global = users + hub.remote.size;
  const peers = s.ctx.cluster?.peerCount ?? 0;
  s.num('251', `There are 0 users and ${global} invisible on ${1 + peers} servers`);
  s.num('252', '0', 'operator(s) online');
  s.num('253', String(Math.max(0, counters.connections - users)), 'unknown connection(s)');
  s.num('254', String(hub.roomList().length), 'channels formed');
  s.num('255', `I have ${users} clients and ${peers} servers`);
  s.num('265', String(users), String(users), `Current local users ${users}, max ${users}`);
  s.num('266', String(global), String(global), `Current global users ${global}, max ${global}`);
}

export function motd(s: IrcSession): void {
  s.num('375', `- ${s.settings.serverName} Message of the day - `);
  for (const line of MOTD) s.num('372', `- ${line}`);
  s.num('376', 'End of /MOTD command.');
}

/** After entering `room`: the JOIN echo, its topic (332/333) and names (353/366). */
export function joinReply(s: IrcSession, m: ChatMember, spelt: string): void {
  const room = s.ctx.hub.spelling(spelt);
  s.raw(s.renderer.line(s.ctx.hub.now(), s.renderer.source(m.name), 'JOIN', [channel(room)]));
  const topic = s.ctx.hub.topic(room);
  if (topic !== undefined) topicReply(s, room);
  names(s, room);
}

/** 332/333, or 331 when no topic is set. */
export function topicReply(s: IrcSession, room: string): void {
  const topic = s.ctx.hub.topic(room);
  if (topic === undefined) return s.num('331', channel(room), 'No topic is set');
  s.num('332', channel(room), topic.text);
  s.num('333', channel(room), topic.by, String(Math.floor(topic.at / 1000)));
}

/** 353 lines and 366 for one room (366 alone when it does not exist). */
export function names(s: IrcSession, spelt: string): void {
  const room = s.ctx.hub.spelling(spelt);
  const long = s.caps.has('userhost-in-names');
  const list = s.ctx.hub.roomPeople(room).map((m) => (long ? s.renderer.source(m.name) : m.name));
  for (let i = 0; i < list.length; i += NAMES_PER_LINE) s.num('353', '=', channel(room), list.slice(i, i + NAMES_PER_LINE).join(' '));
  s.num('366', channel(room), 'End of /NAMES list');
}

/** WHO #room (everyone in it) or WHO nick: 352 per user, then 315. */
export function who(s: IrcSession, mask: string): void {
  const { hub } = s.ctx;
  const members = mask.startsWith('#') ? hub.roomPeople(mask.slice(1)) : [hub.find(mask)].filter((m): m is Person => m !== undefined);
  for (const m of members.slice(0, DEFAULTS.listPageSize)) {
    const where = mask.startsWith('#') ? mask : firstChannel(m);
    s.num('352', where, m.name, s.settings.serverName, s.settings.serverName, m.name, m.away === undefined ? 'H' : 'G', `0 ${m.name}`);
  }
  s.num('315', mask, 'End of WHO list');
}

function firstChannel(m: Person): string {
  for (const room of m.rooms) return channel(room);
  return '*';
}

/** WHOIS nick: 311, 319, 312, 301, 317, 318; or 401 and 318. */
export function whois(s: IrcSession, nick: string): void {
  const m = s.ctx.hub.find(nick);
  if (m === undefined) {
    s.num('401', nick, 'No such nick/channel');
    return s.num('318', nick, 'End of /WHOIS list');
  }
  const { serverName, network } = s.settings;
  s.num('311', m.name, m.name, serverName, '*', m.name);
  if (m.rooms.size > 0) s.num('319', m.name, [...m.rooms].map(channel).join(' '));
  s.num('312', m.name, serverName, `${network} chat server`);
  if (m.away !== undefined) s.num('301', m.name, m.away);
  // A user of another node: its idle time is not known here (0).
  const idle = m.lastInputAt === undefined ? 0 : Math.max(0, Math.floor((s.ctx.clock() - m.lastInputAt) / 1000));
  s.num('317', m.name, String(idle), String(Math.floor((m.signedOnAt ?? 0) / 1000)), 'seconds idle, signon time');
  s.num('318', m.name, 'End of /WHOIS list');
}

/** LIST: 321, a 322 per room (the first page: a reply must fit the user's outbox), 323. */
export function list(s: IrcSession): void {
  const { hub } = s.ctx;
  s.num('321', 'Channel', 'Users  Name');
  for (const r of hub.roomList().slice(0, DEFAULTS.listPageSize)) s.num('322', channel(r.room), String(r.count), hub.topic(r.room)?.text ?? '');
  s.num('323', 'End of /LIST');
}

/**
 * MODE: channels have no modes to change here (no operators), so a query answers 324/329, a ban
 * list query 368, and a change 482; a user's own modes are `+i`, others' 502.
 */
export function mode(s: IrcSession, m: ChatMember, target: string, change: string | undefined): void {
  const { hub } = s.ctx;
  if (target.startsWith('#')) {
    const room = target.slice(1);
    const created = hub.createdAt(room);
    if (created === undefined) return s.num('403', target, 'No such channel');
    if (change === undefined) {
      s.num('324', target, '+');
      return s.num('329', target, String(Math.floor(created / 1000)));
    }
    if (/^[+-]?b$/.test(change)) return s.num('368', target, 'End of channel ban list');
    return s.num('482', target, "You're not channel operator");
  }
  if (hub.get(target) !== m) return hub.find(target) === undefined ? s.num('401', target, 'No such nick/channel') : s.num('502', "Can't change mode for other users");
  if (change === undefined || /^[+-]i$/.test(change)) return s.num('221', '+i');
  s.num('501', 'Unknown MODE flag');
}

/** ISON: 303 with the nicks given that are online. */
export function ison(s: IrcSession, nicks: readonly string[]): void {
  const online = nicks.flatMap((p) => p.split(' ')).flatMap((n) => {
    const m = n === '' ? undefined : s.ctx.hub.find(n);
    return m === undefined ? [] : [m.name];
  });
  s.num('303', online.join(' '));
}

/** USERHOST: 302 with `nick=+nick@host` (`-` when away) for up to five nicks online. */
export function userhost(s: IrcSession, nicks: readonly string[]): void {
  const found = nicks.slice(0, 5).flatMap((n) => {
    const m = s.ctx.hub.find(n);
    return m === undefined ? [] : [`${m.name}=${m.away === undefined ? '+' : '-'}${m.name}@${s.settings.serverName}`];
  });
  s.num('302', found.join(' '));
}

export function version(s: IrcSession): void {
  s.num('351', s.settings.version, s.settings.serverName, 'chatd IRC listener');
}

export function time(s: IrcSession): void {
  s.num('391', s.settings.serverName, new Date(s.ctx.hub.now()).toUTCString());
}
