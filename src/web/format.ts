// Text helpers without the DOM: time stamps, splitting text into plain parts and links, and the
// plain-words explanations of a refused login.
import type { LoginRefusal } from '../protocols/ws/messages.js';

const pad = (n: number): string => String(n).padStart(2, '0');

/** HH:MM in the browser's time zone. */
export function clock(at: number): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The day of `at` in the browser's time zone ("30 Nov", "30 Nov 2025" in another year), or '' when it is the day of `now`. */
export function day(at: number, now: number): string {
  const d = new Date(at);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return '';
  const options: Intl.DateTimeFormatOptions = d.getFullYear() === today.getFullYear() ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' };
  return d.toLocaleDateString(undefined, options);
}

export type Part = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'link'; readonly text: string; readonly href: string };

// http(s) URLs up to white space; closing punctuation is trimmed afterwards, since "see
// https://x.org/a." means the link without its full stop.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = '.,;:!?)]}';

function trimTrailing(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING.includes(url[end - 1] ?? '')) {
    // A ")" closing a "(" inside the URL belongs to it (Wikipedia-style links).
    const head = url.slice(0, end);
    if (head.endsWith(')') && head.split('(').length > head.split(')').length - 1) break;
    end -= 1;
  }
  return url.slice(0, end);
}

/** Splits text into plain parts and http(s) links; anything that does not parse stays text. */
export function linkify(text: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const url = trimTrailing(m[0]);
    let href: string;
    try {
      href = new URL(url).href;
    } catch {
      continue;
    }
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** Why a login was refused, in words for the login form. `unreachable`: no answer at all. */
export function refusalText(reason: LoginRefusal | 'unreachable', retryAfterS?: number): string {
  switch (reason) {
    case 'invalid':
      return 'Wrong username or password.';
    case 'duplicate':
      return 'This name is already logged in somewhere else.';
    case 'throttled':
      return `Too many failed attempts. Try again in ${retryAfterS ?? 60} s.`;
    case 'bad-name':
      return 'That name is not valid: use 1 to 32 letters, digits, _ or -.';
    case 'timeout':
      return 'The server waited too long for the login. Please try again.';
    case 'unavailable':
      return 'The chat cluster cannot be reached right now. Try again in a few seconds.';
    case 'unreachable':
      return 'Could not reach the chat server. Check your connection and try again.';
  }
}

/** "4 s", "1 min 5 s": a countdown in words. */
export function seconds(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** A character that can be part of a user name (names are 1-32 of A-Z a-z 0-9 _ -). */
const NAME_CHAR = /[A-Za-z0-9_-]/;

/** Whether `text` names `name` as a whole word, in any case: "user1:", "@user1", "hi USER1!" do; "user10" does not. */
export function mentions(text: string, name: string): boolean {
  if (name === '') return false;
  const hay = text.toLowerCase();
  const needle = name.toLowerCase();
  for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
    const before = hay[at - 1];
    const after = hay[at + needle.length];
    if ((before === undefined || !NAME_CHAR.test(before)) && (after === undefined || !NAME_CHAR.test(after))) return true;
  }
  return false;
}
