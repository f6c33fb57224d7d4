import type { Page } from '../actions.js';
import { DEFAULTS } from '../limits.js';
import type { ChatMember } from '../member.js';

/** How slash commands answer: notices in the member's own protocol, queued as one reply. */

/**
 * Sends a command's whole output as one reply, so it is queued or refused as a unit within the
 * user's outbox bounds (a refused reply counts toward the user's catch-up notice).
 */
export function reply(m: ChatMember, ...lines: string[]): void {
  const parts = lines.map((text) => m.renderer.render({ kind: 'notice', text }));
  m.reply(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
}

/** User input echoed in an error, cut so a 4,000-character name is not sent back whole. */
export function echo(text: string): string {
  return text.slice(0, DEFAULTS.echoMaxLength);
}

/** `; page 1 of 3 (/who 2 for the next)` when a list has more than one page. */
export function pageNote(p: Page<unknown>, command: string): string {
  if (p.pages === 1) return '';
  return p.page < p.pages ? `; page ${p.page} of ${p.pages} (${command} ${p.page + 1} for the next)` : `; page ${p.page} of ${p.pages}`;
}

/** `2` -> 2; '' -> 1; anything else -> undefined. */
export function pageArg(arg: string): number | undefined {
  if (arg === '') return 1;
  return /^\d{1,6}$/.test(arg) && Number(arg) > 0 ? Number(arg) : undefined;
}

/** The room a command applies to: a text-protocol user is in exactly one; others name it (see runCommand). */
export function currentRoom(m: ChatMember): string {
  for (const room of m.rooms) return room;
  return m.ctx.hub.defaultRoom;
}

