import type { Account } from './accounts.js';
import type { ChatContext } from './context.js';
import { ChatMember, type MemberHost } from './member.js';
import { welcomeBack } from './history.js';

/** One login attempt, as any protocol collects it. */
export interface LoginAttempt {
  readonly name: string;
  readonly password: string;
  readonly ip: string;
  readonly port: number;
  /** False once the connection is gone: a waiting password check is then dropped, no name claimed. */
  alive(): boolean;
}

/**
 * What became of an attempt; each protocol renders it in its own words. `gone`: the connection
 * closed (or the server began shutting down) meanwhile, and there is nobody to answer.
 */
export type LoginOutcome =
  | { readonly kind: 'ok'; readonly account: Account }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'throttled'; readonly retryMs: number }
  | { readonly kind: 'duplicate' }
  /** The cluster could not be asked whether the name is free (Redis unreachable). */
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'gone' };

/** What a password check alone gives (no name claimed yet): see checkPassword. */
export type PasswordOutcome = Exclude<LoginOutcome, { kind: 'duplicate' } | { kind: 'unavailable' }>;

/**
 * Authenticates and claims the name: the login rules every protocol shares.
 *
 * 1. An address the throttle refuses gets no password check at all (on any connection).
 * 2. The check waits its turn in the VerifyQueue (bounded in flight, fair between addresses) and
 *    asks the throttle again when it comes.
 * 3. A wrong password is counted against the address even when the client has hung up meanwhile.
 * 4. A right password claims the name (the duplicate rule, possibly asynchronous in a cluster).
 *
 * On `ok` the name is claimed for `owner` (the session that will host the member): the caller MUST
 * either `admit` with that host or release the claim.
 * The returned promise never rejects for a wrong password; it rejects only on a bug in an account
 * store, which the caller treats as an internal error.
 */
export async function authenticate(ctx: ChatContext, attempt: LoginAttempt, owner: MemberHost): Promise<LoginOutcome> {
  const checked = await checkPassword(ctx, attempt);
  if (checked.kind !== 'ok') return checked;
  return claimName(ctx, checked.account, attempt, owner);
}

/**
 * Steps 1-3 of authenticate, without the claim: for protocols that learn the password before they
 * may log the user in (IRC's SASL answers 903 during capability negotiation, and the user enters
 * the chat only at CAP END). The account is not claimed: call claimName when the user is admitted.
 */
export async function checkPassword(ctx: ChatContext, attempt: LoginAttempt): Promise<PasswordOutcome> {
  const { throttle, verifier, accounts, log, counters } = ctx;
  const { name, ip, port } = attempt;
  const from = `${name} from ('${ip}', ${port})`;
  const throttledFor = throttle.retryAfterMs(ip);
  if (throttledFor > 0) {
    log.event('AUTH THROTTLED', from, { user: name, ip, port });
    return { kind: 'throttled', retryMs: throttledFor };
  }
  const alive = (): boolean => attempt.alive() && !ctx.shuttingDown;
  // The throttle is asked again when the check's turn comes, and a failure is counted before the
  // address's next check starts (and even if the client has hung up: that must not make a guess free).
  const checked = await verifier.run(ip, alive, async () => {
    const waitMs = throttle.retryAfterMs(ip);
    if (waitMs > 0) return waitMs;
    const account = await accounts.verify(name, attempt.password);
    if (account === null) throttle.failed(ip);
    return account;
  });
  if (checked.kind === 'gone') return checked;
  if (typeof checked.value === 'number') {
    log.event('AUTH THROTTLED', from, { user: name, ip, port });
    return { kind: 'throttled', retryMs: checked.value };
  }
  const account = checked.value;
  if (!alive()) return { kind: 'gone' };
  if (account === null) {
    counters.loginFailures++;
    log.event('AUTH FAILED', from, { user: name, ip, port });
    return { kind: 'invalid' };
  }
  return { kind: 'ok', account };
}

/** Step 4: claims a checked account's name for `owner` (the duplicate rule); on `ok` admit at once. */
export async function claimName(ctx: ChatContext, account: Account, attempt: Pick<LoginAttempt, 'ip' | 'alive'>, owner: MemberHost): Promise<LoginOutcome> {
  let claimed: boolean;
  try {
    claimed = await ctx.claims.claim(account.name, owner);
  } catch (err: unknown) {
    ctx.log.error('CLUSTER', `login of ${account.name} refused: ${err instanceof Error ? err.message : String(err)}`);
    return { kind: 'unavailable' };
  }
  if (!claimed) {
    ctx.log.event('DUPLICATE LOGIN', account.name, { user: account.name, ip: attempt.ip });
    return { kind: 'duplicate' };
  }
  if (!attempt.alive() || ctx.shuttingDown) {
    ctx.claims.release(account.name, owner);
    return { kind: 'gone' };
  }
  return { kind: 'ok', account };
}

/**
 * Makes an authenticated, claimed account a member: outbox (limits, --slow), flood control and
 * idle timeout set up, presence and the default room entered, `[CONNECTED]` logged. `welcome` is
 * queued first, so it is the first thing the member receives (before any join notice).
 *
 * Synchronous: nothing can claim the name or change the hub between the claim and this call's end.
 * If it throws (a bug), the member has left again (logged as INTERNAL_ERROR) and the claim is released.
 */
export function admit(ctx: ChatContext, account: Account, host: MemberHost, welcome: Buffer): ChatMember {
  let member: ChatMember | undefined;
  try {
    member = new ChatMember(ctx, account, host);
    member.outbox.pushControl(welcome);
    if (!ctx.hub.add(member)) throw new Error(`admit: ${account.name} is in the hub without a claim`);
    ctx.hub.join(member, ctx.hub.defaultRoom, 'login');
    ctx.counters.logins++;
    const { remoteAddress: ip, remotePort: port } = host.transport;
    ctx.log.event('CONNECTED', `${account.name} from ('${ip}', ${port})`, { user: account.name, ip, port });
    const joined = member;
    welcomeBack(joined, ctx.hub.defaultRoom).catch((err: unknown) => ctx.log.error('STORE', `after the login of ${joined.name}: ${err instanceof Error ? err.message : String(err)}`));
  } catch (err: unknown) {
    if (member !== undefined) member.leave('INTERNAL_ERROR');
    else ctx.claims.release(account.name, host);
    throw err;
  }
  return member;
}
