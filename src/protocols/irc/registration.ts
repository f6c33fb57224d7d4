import { nameKey, nameProblem } from '../../core/names.js';
import { CAPS, RENDERER_CAPS, type Cap, type IrcSession } from './session.js';

/**
 * The registration commands (CAP, NICK, USER, PASS, AUTHENTICATE): they collect what a login needs
 * and call IrcSession.tryRegister, which logs in through the shared core. The nick is the account
 * name; a nick online on any protocol gets 433 here, before the password is even checked.
 */

/** SASL PLAIN payloads bigger than this (base64) are refused with 905: three 400-byte chunks is plenty. */
const SASL_MAX = 1200;
/** AUTHENTICATE carries base64 in chunks of 400; a shorter one (or `+`) ends the payload. */
const SASL_CHUNK = 400;

export function cap(s: IrcSession, p: readonly string[]): void {
  const sub = p[0]!.toUpperCase();
  const registered = s.member !== undefined;
  switch (sub) {
    case 'LS': {
      if (!registered) s.negotiating = true;
      const v302 = Number(p[1] ?? '0') >= 302;
      return s.raw(capLine(s, 'LS', CAPS.map((c) => (c === 'sasl' && v302 ? 'sasl=PLAIN' : c)).join(' ')));
    }
    case 'LIST':
      return s.raw(capLine(s, 'LIST', [...s.caps].join(' ')));
    case 'REQ': {
      if (!registered) s.negotiating = true;
      const asked = (p[1] ?? '').trim();
      const changes = asked.split(' ').filter((x) => x !== '');
      // All or nothing: an unknown cap, or a renderer cap changed once the renderer is chosen, refuses the lot.
      const ok = changes.every((c) => {
        const name = c.startsWith('-') ? c.slice(1) : c;
        if (!(CAPS as readonly string[]).includes(name)) return false;
        const cap = name as Cap;
        return !(registered && RENDERER_CAPS.has(cap) && s.caps.has(cap) === c.startsWith('-'));
      });
      if (!ok || changes.length === 0) return s.raw(capLine(s, 'NAK', asked));
      for (const c of changes) {
        if (c.startsWith('-')) s.caps.delete(c.slice(1) as Cap);
        else s.caps.add(c as Cap);
      }
      return s.raw(capLine(s, 'ACK', asked));
    }
    case 'END':
      if (registered) return;
      s.negotiating = false;
      return s.tryRegister();
    default:
      return s.num('410', p[0]!, 'Invalid CAP command');
  }
}

function capLine(s: IrcSession, sub: string, text: string): string {
  return s.renderer.line(undefined, s.settings.serverName, 'CAP', [s.target, sub, text], true);
}

export function nick(s: IrcSession, p: readonly string[]): void {
  const wanted = p[0] ?? '';
  if (wanted === '') return s.num('431', 'No nickname given');
  if (s.member !== undefined) {
    if (nameKey(wanted) !== nameKey(s.member.name)) s.num('432', wanted, 'Nick changes are not supported: your nick is your account name');
    return;
  }
  if (nameProblem(wanted) !== null) return s.num('432', wanted, 'Erroneous nickname');
  if (s.ctx.hub.find(wanted) !== undefined) return s.num('433', wanted, 'Nickname is already in use');
  s.nick = wanted;
  s.tryRegister();
}

export function user(s: IrcSession): void {
  if (s.member !== undefined) return s.num('462', 'You may not reregister');
  s.userSeen = true;
  s.tryRegister();
}

export function pass(s: IrcSession, p: readonly string[]): void {
  if (s.member !== undefined) return s.num('462', 'You may not reregister');
  s.pass = p[0]!;
}

export function authenticate(s: IrcSession, p: readonly string[]): void {
  const arg = p[0]!;
  if (s.member !== undefined || s.saslAccount !== undefined) return s.num('907', 'You have already authenticated using SASL');
  if (!s.caps.has('sasl')) return s.num('904', 'SASL authentication failed');
  if (arg === '*') {
    s.saslBuffer = undefined;
    return s.num('906', 'SASL authentication aborted');
  }
  if (s.saslBuffer === undefined) {
    if (arg.toUpperCase() !== 'PLAIN') {
      s.num('908', 'PLAIN', 'are available SASL mechanisms');
      return s.num('904', 'SASL authentication failed');
    }
    s.saslBuffer = '';
    return s.raw('AUTHENTICATE +\r\n');
  }
  if (arg !== '+') s.saslBuffer += arg;
  if (s.saslBuffer.length > SASL_MAX) {
    s.saslBuffer = undefined;
    return s.num('905', 'SASL message too long');
  }
  if (arg.length === SASL_CHUNK) return;
  const payload = Buffer.from(s.saslBuffer, 'base64').toString('utf8');
  s.saslBuffer = undefined;
  // PLAIN: authzid NUL authcid NUL password; an authzid other than the authcid is not supported.
  const parts = payload.split('\0');
  const [authzid, authcid, password] = parts;
  if (parts.length !== 3 || authcid === undefined || password === undefined || (authzid !== '' && authzid !== authcid) || nameProblem(authcid) !== null) {
    return s.num('904', 'SASL authentication failed');
  }
  s.saslCheck(authcid, password);
}
