import { timingSafeEqual, createHash } from 'node:crypto';
import { isValidName } from './names.js';

/** A user who may log in. `admin` enables /stats all and /kick. */
export interface Account {
  readonly name: string;
  readonly admin: boolean;
}

/**
 * Where credentials come from. Implementations: the seed's built-in demo accounts, open (guest)
 * mode, and the scrypt-hashed users file (src/core/users-file.ts).
 */
export interface AccountStore {
  /** One line for the start-up banner, e.g. "built-in demo accounts: user1, user2, user3, user4". */
  readonly description: string;
  /**
   * Resolves the account when `password` is right, else null. MUST NOT reveal through timing
   * whether the name exists (compare in constant time, do the same work for unknown names).
   */
  verify(name: string, password: string): Promise<Account | null>;
  /** Whether `name` is an account (offline messages are kept only for accounts, not for guests). */
  has(name: string): boolean;
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The seed's four accounts, kept so its client and docs work unchanged. user1 is an admin. */
export const DEMO_ACCOUNTS: ReadonlyArray<{ name: string; password: string; admin: boolean }> = [
  { name: 'user1', password: 'user1p', admin: true },
  { name: 'user2', password: 'user2p', admin: false },
  { name: 'user3', password: 'user3p', admin: false },
  { name: 'user4', password: 'user4p', admin: false },
];

export class DemoAccounts implements AccountStore {
  has(name: string): boolean {
    return DEMO_ACCOUNTS.some((a) => a.name === name);
  }

  readonly description = `built-in demo accounts: ${DEMO_ACCOUNTS.map((a) => `${a.name}/${a.password}`).join(', ')}`;
  async verify(name: string, password: string): Promise<Account | null> {
    let found: Account | null = null;
    for (const a of DEMO_ACCOUNTS) {
      // Compare against every entry so the time taken does not depend on which name matched.
      if (safeEqual(a.name, name) && safeEqual(a.password, password)) found = { name: a.name, admin: a.admin };
    }
    return found;
  }
}

/** Guest mode for experiments and benchmarks: any well-formed name, any password. Nobody is admin. */
export class OpenAccounts implements AccountStore {
  /** Guests have no account. */
  has(): boolean {
    return false;
  }

  readonly description = 'OPEN: any valid username is admitted with any password (--auth open)';
  async verify(name: string): Promise<Account | null> {
    return isValidName(name) ? { name, admin: false } : null;
  }
}
