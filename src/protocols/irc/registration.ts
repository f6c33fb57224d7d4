import { nameKey, nameProblem } from '../../core/names.js';
import { CAPS, RENDERER_CAPS, type Cap } from './caps.js';
import type { IrcSession } from './session.js';

/**
 * The registration commands (CAP, NICK, USER, PASS, AUTHENTICATE): they record what a login needs in
 * the session's RegistrationState and call IrcSession.tryRegister, which logs in through the shared
 * core once that state says it can. The nick is the account name; a nick online on any protocol
 * gets 433 here, before the password is even checked. Numerics are worded here, the state is not.
 */

export function cap(s: IrcSession, p: readonly string[]): void {
  const sub = p[0]!.toUpperCase();
  const registered = s.member !== undefined;
  switch (sub) {
    case 'LS': {
      if (!registered) s.registration.capBegun();
      const v302 = Number(p[1] ?? '0') >= 302;
      return s.raw(capLine(s, 'LS', CAPS.map((c) => (c === 'sasl' && v302 ? 'sasl=PLAIN' : c)).join(' ')));
    }
    case 'LIST':
      return s.raw(capLine(s, 'LIST', [...s.caps].join(' ')));
    case 'REQ': {
      if (!registered) s.registration.capBegun();
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
      s.registration.capEnded();
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
  s.registration.nickGiven(wanted);
  s.tryRegister();
}

export function user(s: IrcSession): void {
  if (s.member !== undefined) return s.num('462', 'You may not reregister');
  s.registration.userGiven();
  s.tryRegister();
}

export function pass(s: IrcSession, p: readonly string[]): void {
  if (s.member !== undefined) return s.num('462', 'You may not reregister');
  s.registration.passGiven(p[0]!);
}

export function authenticate(s: IrcSession, p: readonly string[]): void {
  if (s.member !== undefined || s.registration.saslDone) return s.num('907', 'You have already authenticated using SASL');
  if (!s.caps.has('sasl')) return s.num('904', 'SASL authentication failed');
  const step = s.registration.saslInput(p[0]!);
  switch (step.kind) {
    case 'aborted':
      return s.num('906', 'SASL authentication aborted');
    case 'unknown-mechanism':
      s.num('908', 'PLAIN', 'are available SASL mechanisms');
      return s.num('904', 'SASL authentication failed');
    case 'continue':
      return s.raw('AUTHENTICATE +\r\n');
    case 'more':
      return;
    case 'too-long':
      return s.num('905', 'SASL message too long');
    case 'invalid':
      return s.num('904', 'SASL authentication failed');
    case 'plain':
      return s.saslCheck(step.name, step.password);
  }
}
