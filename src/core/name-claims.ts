import { nameKey } from './names.js';

/**
 * The duplicate-login rule: one session per name, on whatever protocol. A login claims its name
 * after the password check and before it enters the hub; the session releases it when it leaves.
 *
 * Contract:
 * - `claim` MAY be asynchronous (a cluster asks Redis for an atomic claim with a lease), so a login
 *   awaits it; the local implementation answers at once. It MAY reject (the cluster cannot be
 *   asked): the login is then refused as 'unavailable' and nothing is claimed.
 * - Between a successful claim and `release`, every other claim of the name resolves false.
 * - Names are compared by `nameKey` (ASCII case-insensitively): a claim of `User1` conflicts with
 *   one of `user1`.
 * - `release` is idempotent and only frees a name held by that claimant's claim (a name claimed
 *   again after a release is not freed by a second release of the first claim).
 */
export interface NameClaims {
  claim(name: string, owner: object): Promise<boolean>;
  release(name: string, owner: object): void;
}

/** Claims held in this process (the single-node default). */
export class LocalClaims implements NameClaims {
  private readonly owners = new Map<string, object>();

  claim(name: string, owner: object): Promise<boolean> {
    const key = nameKey(name);
    if (this.owners.has(key)) return Promise.resolve(false);
    this.owners.set(key, owner);
    return Promise.resolve(true);
  }

  release(name: string, owner: object): void {
    const key = nameKey(name);
    if (this.owners.get(key) === owner) this.owners.delete(key);
  }
}
