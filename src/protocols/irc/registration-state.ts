import type { Account } from '../../core/accounts.js';
import { nameProblem } from '../../core/names.js';

/** SASL PLAIN payloads bigger than this (base64) are refused with 905: three 400-byte chunks is plenty. */
const SASL_MAX = 1200;
/** AUTHENTICATE carries base64 in chunks of 400; a shorter one (or `+`) ends the payload. */
const SASL_CHUNK = 400;

/** The named states of one connection, in the order they are reached (`closed` from any). */
export type RegistrationStateName = 'registering' | 'verifying' | 'chat' | 'closed';

/** What a login goes ahead with: an account SASL already checked, or a name and password to check. */
export type Credentials = { readonly kind: 'sasl'; readonly account: Account } | { readonly kind: 'password'; readonly name: string; readonly password: string };

/** What one AUTHENTICATE argument came to; the registration commands answer it in numerics. */
export type SaslStep =
  | { readonly kind: 'aborted' }
  | { readonly kind: 'unknown-mechanism' }
  | { readonly kind: 'continue' }
  | { readonly kind: 'more' }
  | { readonly kind: 'too-long' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'plain'; readonly name: string; readonly password: string };

/** SASL while registering: nothing yet, a PLAIN payload being collected, or an account checked. */
type Sasl = { readonly step: 'none' } | { readonly step: 'collecting'; readonly base64: string } | { readonly step: 'checked'; readonly account: Account };

/** What registering collects; each state holds only what is true in it. */
type Phase =
  | {
      readonly name: 'registering';
      /** The nick given (valid and free when given). */
      readonly nick: string | undefined;
      readonly userSeen: boolean;
      readonly pass: string | undefined;
      /** CAP LS or REQ began negotiation; registration waits for CAP END. */
      readonly negotiating: boolean;
      readonly sasl: Sasl;
    }
  | { readonly name: 'verifying'; readonly nick: string }
  | { readonly name: 'chat'; readonly nick: string }
  | { readonly name: 'closed'; readonly nick: string | undefined };

const NO_SASL: Sasl = { step: 'none' };

/**
 * Where one IRC connection's registration stands: one object with named states instead of flags on
 * the session that only together said whether a login could start.
 *
 *   registering --begin()--> verifying --admitted(name)--> chat;  closed() from any state
 *
 * Contract:
 * - Pure: no I/O, no session. The registration commands (registration.ts) feed it and answer in
 *   numerics; the session starts the login `begin()` returns and reports the outcome.
 * - What NICK, USER, PASS, CAP and AUTHENTICATE give is recorded only while `registering`; later it
 *   is ignored (the session answers those commands itself once registered).
 * - `begin()` is the one readiness test: it leaves `registering` only when NICK and USER are in and
 *   CAP negotiation (if begun) has ended, and then at most once.
 * - `closed` is final.
 */
export class RegistrationState {
  private phase: Phase = { name: 'registering', nick: undefined, userSeen: false, pass: undefined, negotiating: false, sasl: NO_SASL };

  get state(): RegistrationStateName {
    return this.phase.name;
  }

  /** The nick given while registering; the account name from `admitted` on. */
  get nick(): string | undefined {
    return this.phase.nick;
  }

  /** True once SASL checked an account (a second AUTHENTICATE gets 907). */
  get saslDone(): boolean {
    return this.phase.name === 'registering' && this.phase.sasl.step === 'checked';
  }

  nickGiven(nick: string): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, nick };
  }

  userGiven(): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, userSeen: true };
  }

  passGiven(pass: string): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, pass };
  }

  /** CAP LS or REQ before registration: the login waits for CAP END. */
  capBegun(): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, negotiating: true };
  }

  capEnded(): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, negotiating: false };
  }

  /**
   * One AUTHENTICATE argument of SASL PLAIN (`*` aborts): collects the base64 chunks and, when the
   * payload is complete, decodes it. Only while registering and before an account was checked.
   */
  saslInput(arg: string): SaslStep {
    if (this.phase.name !== 'registering' || this.phase.sasl.step === 'checked') return { kind: 'invalid' };
    const sasl = this.phase.sasl;
    if (arg === '*') return this.sasl(NO_SASL, { kind: 'aborted' });
    if (sasl.step === 'none') {
      if (arg.toUpperCase() !== 'PLAIN') return { kind: 'unknown-mechanism' };
      return this.sasl({ step: 'collecting', base64: '' }, { kind: 'continue' });
    }
    const base64 = arg === '+' ? sasl.base64 : sasl.base64 + arg;
    if (base64.length > SASL_MAX) return this.sasl(NO_SASL, { kind: 'too-long' });
    if (arg.length === SASL_CHUNK) return this.sasl({ step: 'collecting', base64 }, { kind: 'more' });
    this.sasl(NO_SASL, { kind: 'invalid' });
    // PLAIN: authzid NUL authcid NUL password; an authzid other than the authcid is not supported.
    const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
    const [authzid, authcid, password] = parts;
    if (parts.length !== 3 || authcid === undefined || password === undefined || (authzid !== '' && authzid !== authcid) || nameProblem(authcid) !== null) {
      return { kind: 'invalid' };
    }
    return { kind: 'plain', name: authcid, password };
  }

  /** SASL checked this account's password: it is claimed when registration completes. */
  saslAccepted(account: Account): void {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, sasl: { step: 'checked', account } };
  }

  /**
   * Registering with NICK and USER in and no CAP negotiation open: moves to `verifying` and returns
   * what to log in with (the SASL account, or PASS: `password` for the nick's account or
   * `account:password`). Otherwise undefined, and nothing changes.
   */
  begin(): Credentials | undefined {
    const p = this.phase;
    if (p.name !== 'registering' || p.nick === undefined || !p.userSeen || p.negotiating) return undefined;
    this.phase = { name: 'verifying', nick: p.nick };
    if (p.sasl.step === 'checked') return { kind: 'sasl', account: p.sasl.account };
    const pass = p.pass ?? '';
    const colon = pass.indexOf(':');
    return colon > 0 ? { kind: 'password', name: pass.slice(0, colon), password: pass.slice(colon + 1) } : { kind: 'password', name: p.nick, password: pass };
  }

  /** The login succeeded: the nick is the account name from now on, whatever NICK said. */
  admitted(name: string): void {
    if (this.phase.name !== 'closed') this.phase = { name: 'chat', nick: name };
  }

  closed(): void {
    this.phase = { name: 'closed', nick: this.phase.nick };
  }

  private sasl(sasl: Sasl, step: SaslStep): SaslStep {
    if (this.phase.name === 'registering') this.phase = { ...this.phase, sasl };
    return step;
  }
}
