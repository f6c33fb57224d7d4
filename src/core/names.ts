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
