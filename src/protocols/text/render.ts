import type { ChatEvent, Renderer } from '../../core/events.js';
import { DEFAULTS } from '../../core/limits.js';
import type { RefusalCode } from '../../core/transport.js';
import { seconds } from '../../core/member.js';
import { utcTime } from '../../core/history.js';

/**
 * Hub events -> the seed's line protocol (docs/PROTOCOL.md). Every line ends in LF; the hub renders
 * each broadcast once and writes the same Buffer to every text-protocol recipient.
 */
export function textLine(event: ChatEvent): string {
  switch (event.kind) {
    case 'message':
      return `${event.from}: ${event.text}\n`;
    case 'action':
      return `* ${event.from} ${event.text}\n`;
    case 'private':
      return `[PRIVATE] ${event.from}: ${event.text}\n`;
    case 'joined':
      return event.how === 'login' ? `${event.user} joined the chat.\n` : `${event.user} joined room ${event.room}.\n`;
    case 'left':
      return event.how === 'logout' ? `${event.user} left the chat.\n` : `${event.user} left room ${event.room}.\n`;
    case 'topic':
      return topicLine(event.by, event.room, event.text);
    case 'away':
      // The seed's protocol has no away status: nothing is sent (an empty render queues nothing).
      return '';
    case 'history': {
      const e = event.entry;
      const line = e.kind === 'topic' ? topicLine(e.from, e.room, e.text) : e.kind === 'action' ? `* ${e.from} ${e.text}\n` : `${e.from}: ${e.text}\n`;
      return `[HISTORY ${utcTime(e.at)}] ${line}`;
    }
    case 'offline':
      return `[OFFLINE ${utcTime(event.entry.at)}] ${event.entry.from}: ${event.entry.text}\n`;
    case 'notice':
    case 'closing':
      return `[SERVER] ${event.text}\n`;
  }
}

function topicLine(by: string, room: string, text: string): string {
  return text === '' ? `[TOPIC] ${by} cleared the topic of ${room}.\n` : `[TOPIC] ${by} set the topic of ${room}: ${text}\n`;
}

/** Every render is one or more whole LF-terminated lines, so renders concatenate safely. */
export const textRenderer: Renderer = {
  id: 'text',
  render(event: ChatEvent): Buffer {
    return Buffer.from(textLine(event), 'utf8');
  },
};

/**
 * Server lines outside the event model: the login exchange (the first five byte for byte as the
 * seed), and this server's own refusals before login.
 */
export const LOGIN = {
  usernamePrompt: Buffer.from('Enter username: '),
  passwordPrompt: Buffer.from('Enter password: '),
  welcome: (user: string) => Buffer.from(`Welcome ${user}! Type 'exit' to leave.\n`),
  invalid: Buffer.from('Invalid credentials. Connection closed.\n'),
  duplicate: Buffer.from('Username already logged in. Connection closed.\n'),
  unavailable: Buffer.from('The chat cluster cannot be reached right now. Try again in a few seconds. Connection closed.\n'),
  badName: (problem: string) => Buffer.from(`Invalid username: ${problem} Usernames are 1-${DEFAULTS.nameMaxLength} letters, digits, _ or -.\n`),
  badNameFinal: (problem: string) => Buffer.from(`Invalid username: ${problem} Connection closed.\n`),
  timedOut: Buffer.from('Login timed out. Connection closed.\n'),
  throttled: (waitS: number) => Buffer.from(`Too many failed logins. Try again in ${seconds(waitS)}. Connection closed.\n`),
} as const;

/** What the listener sends before closing a connection it refuses at accept time. */
export const REFUSALS: Readonly<Record<RefusalCode, Buffer>> = {
  SERVER_FULL: Buffer.from('[SERVER] Server full, try again later. Connection closed.\n'),
  TOO_MANY_FROM_IP: Buffer.from('[SERVER] Too many connections from your address. Connection closed.\n'),
};
