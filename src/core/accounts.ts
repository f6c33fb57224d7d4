import { timingSafeEqual, createHash } from 'node:crypto';
import { isValidName, nameKey } from './names.js';

/** A user who may log in. `admin` enables /stats all and /kick. */
export interface Account {
  readonly name: string;
  readonly admin: boolean;
}

/**
 * Where credentials come from. Implementations: the seed's built-in demo accounts, open (guest)
 * mode, the scrypt-hashed users file (src/store/accounts/users-file.ts), and guests beside a
 * users file (`WithGuests`).
 *
 * Names are matched ASCII case-insensitively (`nameKey`), as the hub and the name claims compare
 * them: logging in as `USER1` with user1's password is user1, and the user becomes the account's
 * own spelling (`Account.name`), whatever case was typed.
 */
export interface AccountStore {
  /** One line for the start-up banner, e.g. "built-in demo accounts: user1, user2, user3, user4". */
  readonly description: string;
  /**
   * Resolves the account when `password` is right, else null. MUST NOT reveal through timing
   * whether the name exists (compare in constant time, do the same work for unknown names).
   */
  verify(name: string, password: string): Promise<Account | null>;
  /**
   * The account's own spelling when `name` (in any case) is an account, else undefined: guests and
   * unknown names. Offline messages are kept only for accounts, filed under this spelling.
   */
  accountName(name: string): string | undefined;
  /**
   * Reads the accounts' file again now, changed or not (SIGHUP), where there is one. Never throws:
   * the outcome is reported as a change noticed on a login would be, and a file that cannot be
   * used leaves the previous accounts in force.
   */
  reloadNow?(): Promise<void>;
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
  accountName(name: string): string | undefined {
    return DEMO_ACCOUNTS.find((a) => a.name === nameKey(name))?.name;
  }

  readonly description = `built-in demo accounts: ${DEMO_ACCOUNTS.map((a) => `${a.name}/${a.password}`).join(', ')}`;
  async verify(name: string, password: string): Promise<Account | null> {
    let found: Account | null = null;
    for (const a of DEMO_ACCOUNTS) {
      // Compare against every entry so the time taken does not depend on which name matched.
      if (safeEqual(a.name, nameKey(name)) && safeEqual(a.password, password)) found = { name: a.name, admin: a.admin };
    }
    return found;
  }
}

/** Guest mode for experiments and benchmarks: any well-formed name, any password. Nobody is admin. */
export class OpenAccounts implements AccountStore {
  /** Guests have no account. */
  accountName(): undefined {
    return undefined;
  }

  readonly description = 'OPEN: any valid username is admitted with any password (--auth open)';
  async verify(name: string): Promise<Account | null> {
    return isValidName(name) ? { name, admin: false } : null;
  }
}

/**
 * `--auth open` with `--users FILE`: names in the file still need their password (as IRC networks
 * protect registered nicks), any other valid name is a guest, admitted without one. Guests have no
 * account (no offline messages, never admin). Whether a name is registered is public here by design
 * (a guest login of it fails), so only the password check itself must not leak through timing.
 */
export class WithGuests implements AccountStore {
  private readonly guests = new OpenAccounts();

  constructor(private readonly registered: AccountStore) {}

  get description(): string {
    return `${this.registered.description}; any other valid name is a guest without a password (--auth open)`;
  }

  accountName(name: string): string | undefined {
    return this.registered.accountName(name);
  }

  verify(name: string, password: string): Promise<Account | null> {
    return this.registered.accountName(name) !== undefined ? this.registered.verify(name, password) : this.guests.verify(name);
  }

  async reloadNow(): Promise<void> {
    await this.registered.reloadNow?.();
  }
}
