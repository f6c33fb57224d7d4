import type { Hub } from '../core/hub.js';
import type { AccountStore } from '../core/accounts.js';
import type { Logger } from '../core/log.js';
import type { Counters } from '../core/counters.js';
import type { AuthThrottle } from '../core/throttle.js';
import type { ServerConfig } from '../server/config.js';

/** What every protocol session may use. Built once by src/server/serve.ts. */
export interface ChatContext {
  readonly hub: Hub;
  readonly accounts: AccountStore;
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly counters: Counters;
  /** Failed logins per address, shared by every connection and listener so reconnecting does not reset it. */
  readonly throttle: AuthThrottle;
  /** Set at shutdown: sessions then close without announcing leaves to each other. */
  shuttingDown: boolean;
}
