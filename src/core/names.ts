import { DEFAULTS } from './limits.js';

/** Usernames and room names: 1–32 letters, digits, `_` or `-`. Login and the account tools share this rule. */
const NAME = /^[A-Za-z0-9_-]+$/;

/** Returns null when `name` is a valid username, else a sentence saying what is wrong. */
export function nameProblem(name: string, max: number = DEFAULTS.nameMaxLength): string | null {
  if (name.length === 0) return 'Name is empty.';
  if (name.length > max) return `Name is longer than ${max} characters.`;
  if (!NAME.test(name)) return 'Name may contain only letters, digits, _ and -.';
  return null;
}

export function isValidName(name: string): boolean {
  return nameProblem(name) === null;
}

/**
 * The key a name or room is compared by: ASCII letters lowercased, nothing else changed (IRC's
 * CASEMAPPING=ascii). `User1` and `user1` are one user, `#Dev` and `#dev` one room, on every
 * protocol; the form shown is the one the user logged in with, or the room's first spelling.
 * ASCII only on purpose: `toLowerCase` would fold the Kelvin sign (U+212A) into `k`.
 */
export function nameKey(name: string): string {
  return HAS_UPPER.test(name) ? name.replace(UPPER, lowerAscii) : name;
}

const HAS_UPPER = /[A-Z]/;
const UPPER = /[A-Z]/g;

function lowerAscii(c: string): string {
  return String.fromCharCode(c.charCodeAt(0) + 32);
}
